import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * S3's POST Object policy check, which s3rver 3.7 skips (it stores any form POST, ignoring `policy`).
 * The local/test server runs this in front of s3rver so that what S3 enforces for a presigned POST —
 * signature (SigV4), expiration, bucket/key/field conditions and `content-length-range` — is enforced
 * here too, and a test of an oversized upload fails the way it would against S3.
 *
 * The body is buffered (bounded by `maxBodyBytes`): this is a loopback test server, not a store.
 */
export interface PostPolicyGate {
  /** True when the request is a browser-style POST Object (the gate answered or forwarded it). */
  handle(req: IncomingMessage, res: ServerResponse, forward: (req: IncomingMessage) => void): boolean;
}

interface FormFields {
  [name: string]: string;
}

export function createPostPolicyGate(opts: {
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxBodyBytes: number;
  now?: () => number;
}): PostPolicyGate {
  const now = opts.now ?? Date.now;
  return {
    handle(req, res, forward) {
      if (!isPostObject(req)) return false;
      void readBounded(req, opts.maxBodyBytes).then(async (body) => {
        if (!body)
          return refuse(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
        const parsed = await parseForm(req, body);
        if (!parsed)
          return refuse(
            res,
            400,
            'MalformedPOSTRequest',
            'The body of your POST request is not well-formed multipart/form-data.',
          );
        const bucket = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/')[1] ?? '');
        const problem = checkPolicy(parsed.fields, parsed.fileSize, bucket, opts.credentials, now());
        if (problem) return refuse(res, problem.status, problem.code, problem.message);
        forward(replay(req, body));
      });
      return true;
    },
  };
}

function isPostObject(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = new URL(req.url ?? '/', 'http://x');
  const segments = url.pathname.split('/').filter(Boolean);
  return (
    segments.length === 1 &&
    url.search === '' &&
    /^multipart\/form-data/i.test(req.headers['content-type'] ?? '')
  );
}

/** The whole body, or undefined once it passes `limit` (the socket is then closed after the answer). */
function readBounded(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

async function parseForm(
  req: IncomingMessage,
  body: Buffer,
): Promise<{ fields: FormFields; fileSize: number } | undefined> {
  try {
    const form = await new Response(body, {
      headers: { 'content-type': req.headers['content-type'] ?? '' },
    }).formData();
    const fields: FormFields = {};
    let fileSize: number | undefined;
    for (const [name, value] of form.entries()) {
      if (name.toLowerCase() === 'file') {
        fileSize = typeof value === 'string' ? Buffer.byteLength(value) : value.size;
        break; // S3 ignores every field after the file
      }
      if (typeof value === 'string') fields[name.toLowerCase()] = value;
    }
    return fileSize === undefined ? undefined : { fields, fileSize };
  } catch {
    return undefined;
  }
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

type Condition = Record<string, string> | [string, string | number, string | number];

function checkPolicy(
  fields: FormFields,
  fileSize: number,
  bucket: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  nowMs: number,
): Refusal | undefined {
  const denied = (message: string): Refusal => ({ status: 403, code: 'AccessDenied', message });
  const policyB64 = fields.policy;
  if (!policyB64) return denied('Bucket POST must contain a field named policy.');
  const credential = (fields['x-amz-credential'] ?? '').split('/');
  const [accessKeyId, date, region, service] = credential;
  if (
    fields['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256' ||
    credential.length !== 5 ||
    !date ||
    !region ||
    !service
  )
    return denied('Invalid according to Policy: X-Amz-Credential or X-Amz-Algorithm');
  if (accessKeyId !== credentials.accessKeyId)
    return denied('The AWS Access Key Id you provided does not exist in our records.');
  const expected = sign(signingKey(credentials.secretAccessKey, date, region, service), policyB64).toString(
    'hex',
  );
  if (expected !== fields['x-amz-signature'])
    return denied('The request signature we calculated does not match the signature you provided.');

  let policy: { expiration?: string; conditions?: Condition[] };
  try {
    policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
  } catch {
    return { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.' };
  }
  const expires = Date.parse(policy.expiration ?? '');
  if (!Number.isFinite(expires) || expires < nowMs)
    return denied('Invalid according to Policy: Policy expired.');
  const value = (name: string) => (name === 'bucket' ? bucket : fields[name.toLowerCase()]);
  for (const condition of policy.conditions ?? []) {
    if (Array.isArray(condition)) {
      const [op, a, b] = condition;
      if (op === 'content-length-range') {
        if (fileSize < Number(a) || fileSize > Number(b))
          return fileSize > Number(b)
            ? {
                status: 400,
                code: 'EntityTooLarge',
                message: 'Your proposed upload exceeds the maximum allowed size',
              }
            : {
                status: 400,
                code: 'EntityTooSmall',
                message: 'Your proposed upload is smaller than the minimum allowed size',
              };
        continue;
      }
      const field = String(a).replace(/^\$/, '');
      const actual = value(field) ?? '';
      const ok =
        op === 'eq' ? actual === String(b) : op === 'starts-with' ? actual.startsWith(String(b)) : false;
      if (!ok)
        return denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
      continue;
    }
    for (const [field, wanted] of Object.entries(condition)) {
      if (value(field) !== wanted)
        return denied(
          `Invalid according to Policy: Policy Condition failed: ["eq", "$${field}", ${JSON.stringify(wanted)}]`,
        );
    }
  }
  return undefined;
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = sign(`AWS4${secret}`, date);
  return sign(sign(sign(kDate, region), service), 'aws4_request');
}

function sign(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function refuse(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/xml', Connection: 'close' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    () => res.socket?.destroySoon?.(),
  );
}

/** The buffered body as a fresh request stream for s3rver (which pipes `ctx.req` into its form parser). */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = Readable.from([body]) as unknown as IncomingMessage;
  for (const prop of [
    'headers',
    'rawHeaders',
    'method',
    'url',
    'httpVersion',
    'httpVersionMajor',
    'httpVersionMinor',
    'socket',
  ] as const) {
    Object.defineProperty(stream, prop, { value: req[prop], configurable: true, writable: true });
  }
  Object.defineProperty(stream, 'connection', { value: req.socket, configurable: true });
  return stream;
}
