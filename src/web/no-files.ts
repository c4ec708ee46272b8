// Stands in for src/client/files.ts in the browser bundle (vite.config.ts): browsers upload File
// objects, not paths.
export function fileBody(path: string): never {
  throw new Error(`cannot read '${path}': uploading by path works in Node.js only`);
}

export function tableContentType(_path: string): string {
  return "text/csv";
}
