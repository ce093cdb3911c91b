import { type CopyMode, runCopy } from './s3-copy-run';

// `s3-copy-child.ts <mode> <endpoint> <bucket> <bytes>`: one copy in a fresh process, its CopyRun as JSON.
const [mode, endpoint, bucket, bytes] = process.argv.slice(2);
const run = await runCopy(mode as CopyMode, {
  endpoint: endpoint ?? '',
  bucket: bucket ?? '',
  bytes: Number(bytes),
});
console.log(JSON.stringify(run));
