// `node download-child.js <url> <file> <minBytes>`: downloadFile in a child process, so that synchronous callers
// (`new YOLO('yolo11n.pt')` loads in its constructor) can wait for it. The error message goes to stderr.
import { downloadFile } from './download-file.js';

const [url = '', file = '', minBytes = '1'] = process.argv.slice(2);
downloadFile(url, file, { minBytes: Number(minBytes) }).catch((error: unknown) => {
  process.stderr.write((error as Error).message);
  process.exit(1);
});
