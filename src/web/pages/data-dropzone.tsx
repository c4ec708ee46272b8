// The upload form: drop a file (or choose one), check its name, send it with a progress bar.
import { useState } from "preact/hooks";
import type { Upload } from "./data-upload.js";
import { ACCEPTED, NAME_PATTERN, contentTypeOf, nameFromFile } from "./data-upload.js";
import { ErrorMessage, size } from "../components/feedback.js";

/** Bytes as the reader thinks of them: "12.3 KB". */
export function Dropzone({ upload, onUploaded }: { upload: Upload; onUploaded: (id: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [over, setOver] = useState(false);
  const contentType = file ? contentTypeOf(file.name) : undefined;
  const busy = upload.progress !== undefined;

  const choose = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    setName(nameFromFile(f.name));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file || !contentType) return;
    const dataset = await upload.start(name, file, contentType);
    if (dataset) onUploaded(dataset.id);
  };

  return (
    <form onSubmit={submit}>
      <div
        class={`dropzone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          choose(e.dataTransfer?.files[0]);
        }}
      >
        <p>Drop a CSV, TSV, NDJSON or JSON table here, or a zip of image folders (one folder per class).</p>
        <label for="dataset-file">Or choose a file</label>
        <input id="dataset-file" type="file" accept={ACCEPTED} disabled={busy} onChange={(e) => choose(e.currentTarget.files?.[0])} />
      </div>
      {file && (
        <div class="row data-upload-details">
          <p>
            <strong>{file.name}</strong> · {size(file.size)}
          </p>
          {!contentType && (
            <p class="error" role="alert">
              {file.name} is not a file type the server reads: use .csv, .tsv, .ndjson, .json or .zip.
            </p>
          )}
          <div>
            <label for="dataset-name">Dataset name</label>
            <input
              id="dataset-name"
              required
              maxLength={128}
              pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,127}"
              title="1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
              value={name}
              disabled={busy}
              onInput={(e) => setName(e.currentTarget.value)}
              aria-describedby="dataset-name-hint"
            />
            <p id="dataset-name-hint" class="hint">
              Letters, digits, '.', '_' or '-'; a name used before gets a newer dataset of that name.
            </p>
          </div>
          <button type="submit" disabled={busy || !contentType || !NAME_PATTERN.test(name)}>
            Upload
          </button>
        </div>
      )}
      <UploadProgress upload={upload} />
    </form>
  );
}

/** The upload's progress bar and its outcome, announced to screen readers. */
export function UploadProgress({ upload }: { upload: Upload }) {
  const p = upload.progress;
  return (
    <>
      <div role="status">
        {p !== undefined && (p < 1 ? `Uploading… ${Math.round(100 * p)}%` : "Uploaded; the server is reading the file…")}
      </div>
      {p !== undefined && <progress aria-label="Upload progress" max={1} value={p < 1 ? p : undefined} />}
      <ErrorMessage error={upload.error} />
    </>
  );
}
