// What a page says besides its data: errors (the API's message as written), empty states, loading.
import type { ComponentChildren } from "preact";

/** An error's message as the server wrote it (MaasApiError carries it), or the exception's. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {messageOf(error)}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** A date as the reader's locale writes it. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "–";
}

/** A duration between two ISO times (or until now), e.g. "1 min 5 s". */
export function duration(from: string | null | undefined, to?: string | null): string {
  if (!from) return "–";
  const s = Math.max(0, ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000);
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A metric for a table: 4 significant digits. */
export function num(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : Number(x.toPrecision(4)).toString();
}

/** A byte count for people: "532 bytes", "4.2 KB", "1.3 MB". */
export function size(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB"];
  let i = 0;
  for (; bytes >= 1000 && i < units.length - 1; i++) bytes /= 1000;
  return `${i === 0 ? bytes : bytes.toFixed(1)} ${units[i]}`;
}
