/** Whether a process the test started still exists (signal 0 checks without signalling it). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
