/**
 * Stands in for the queue workers while the benchmark counts Redis round trips per HTTP request:
 * the real workers would touch Redis through the same proxy at the same time, and their requests
 * are not the route's. Every message is acknowledged without doing anything.
 */
export const handler = async () => ({ batchItemFailures: [] });
