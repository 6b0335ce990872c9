/** A test server's whole request (or upstream answer) body, as one Buffer, once it has ended. */
import type { Readable } from "node:stream";

export const readBody = (stream: Readable): Promise<Buffer> =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
