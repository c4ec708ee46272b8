// Uploading a dataset from the browser: XMLHttpRequest rather than the client's fetch, because only
// XHR reports upload progress.
import { useRef, useState } from "preact/hooks";
import type { Dataset } from "../../api/schemas.js";

/** Content types by file extension, as POST /datasets accepts them. */
const CONTENT_TYPES: Record<string, string> = {
  csv: "text/csv",
  txt: "text/csv",
  tsv: "text/tab-separated-values",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
  json: "application/json",
  zip: "application/zip",
};

/** What the file picker offers. */
export const ACCEPTED = Object.keys(CONTENT_TYPES).map((e) => `.${e}`).join(",");

/** The Content-Type of a file by its extension; undefined when the server would not take it. */
export function contentTypeOf(fileName: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1].toLowerCase();
  return ext ? CONTENT_TYPES[ext] : undefined;
}

/** The API's rule for dataset and model names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A dataset name from a file name: extension dropped, other characters replaced by '-'. "My data (2).csv" -> "My-data-2". */
export function nameFromFile(fileName: string): string {
  const name = fileName
    .replace(/\.[^.]*$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 128);
  return name || "dataset";
}

/** Sends `body` as dataset `name`; `onProgress` gets the fraction of bytes sent. Rejects with the server's message. */
export function uploadDataset(key: string, name: string, body: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<Dataset> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/datasets?${new URLSearchParams({ name })}`);
    xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const answer = xhr.response as (Dataset & { error?: { message?: string } }) | null;
      if (xhr.status >= 200 && xhr.status < 300 && answer) resolve(answer);
      else reject(new Error(answer?.error?.message ?? `the upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("the server could not be reached"));
    xhr.send(body);
  });
}

export interface Upload {
  /** Fraction of the bytes sent; 1 while the server parses the file; undefined when idle. */
  progress: number | undefined;
  error: unknown;
  /** Uploads and answers the dataset, or undefined when it failed (the error is then in `error`). */
  start(name: string, body: Blob, contentType: string): Promise<Dataset | undefined>;
}

/** One upload at a time, with its progress and error. */
export function useUpload(key: string): Upload {
  const [progress, setProgress] = useState<number | undefined>();
  const [error, setError] = useState<unknown>();
  const busy = useRef(false);
  const start = async (name: string, body: Blob, contentType: string) => {
    if (busy.current) return undefined;
    busy.current = true;
    setError(undefined);
    setProgress(0);
    try {
      return await uploadDataset(key, name, body, contentType, setProgress);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      busy.current = false;
      setProgress(undefined);
    }
  };
  return { progress, error, start };
}
