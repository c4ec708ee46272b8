// An image model's playground: an uploaded picture or a drawing, sent as the API takes images
// ({image: "<base64 PNG or JPEG>"}; the server converts it to the model's channels and size).
import { useEffect, useRef, useState } from "preact/hooks";
import type { PredictResponse } from "../../api/schemas.js";
import type { ModelCard } from "../../models/card.js";
import { useSession } from "../session.js";
import { ErrorMessage } from "../components/feedback.js";
import { PredictionView } from "./playground-result.js";

const SIDE = 280;

/** The base64 payload of a data: URL. */
const base64Of = (dataUrl: string) => dataUrl.slice(dataUrl.indexOf(",") + 1);

export function ImagePlayground({ name, version, card }: { name: string; version: number; card: ModelCard }) {
  const { client } = useSession();
  const [upload, setUpload] = useState<{ url: string; file: string } | undefined>();
  const [result, setResult] = useState<PredictResponse | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);

  const predict = async (image: string) => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await client.models.predict(name, { version, instances: [{ image }] }));
    } catch (err) {
      setError(err);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };
  const pick = (file: File | undefined) => {
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      setUpload({ url, file: file.name });
      void predict(base64Of(url));
    };
    reader.onerror = () => setError(reader.error);
    reader.readAsDataURL(file);
  };
  const image = card.image!;

  return (
    <div class="grid">
      <div>
        <p class="hint">
          The model takes {image.channels === 1 ? "grey" : "colour"} images of {image.width}×{image.height} pixels; others are converted and resized.
        </p>
        <label for="image-file">Upload a PNG or JPEG image</label>
        <input id="image-file" type="file" accept="image/png,image/jpeg" onChange={(e) => pick(e.currentTarget.files?.[0])} />
        {upload && <img class="playground-preview" src={upload.url} alt={`The uploaded image ${upload.file}`} />}
        <h3 id="draw-title">Or draw one</h3>
        <DrawingPad canvas={canvas} />
        <div class="row">
          <button type="button" disabled={busy} onClick={() => void predict(base64Of(canvas.current!.toDataURL("image/png")))}>
            {busy ? "Predicting…" : "Predict the drawing"}
          </button>
          <button type="button" class="secondary" onClick={() => clear(canvas.current!)}>
            Clear the drawing
          </button>
        </div>
      </div>
      <div>
        <ErrorMessage error={error} />
        {result ? <PredictionView response={result} target={card.target} /> : <p class="hint">Upload or draw an image to see what the model predicts.</p>}
      </div>
    </div>
  );
}

/** A black square. */
function clear(c: HTMLCanvasElement) {
  const g = c.getContext("2d")!;
  g.fillStyle = "#000";
  g.fillRect(0, 0, c.width, c.height);
}

/** A square canvas drawn on in white with a mouse, pen or finger (pointer events cover all three). */
function DrawingPad({ canvas }: { canvas: { current: HTMLCanvasElement | null } }) {
  const last = useRef<{ x: number; y: number } | null>(null);
  useEffect(() => clear(canvas.current!), []);

  const at = (e: PointerEvent) => {
    const c = canvas.current!;
    const r = c.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * c.width) / r.width, y: ((e.clientY - r.top) * c.height) / r.height };
  };
  const line = (to: { x: number; y: number }) => {
    const g = canvas.current!.getContext("2d")!;
    const from = last.current ?? to;
    g.strokeStyle = "#fff";
    g.lineWidth = SIDE / 12;
    g.lineCap = "round";
    g.beginPath();
    g.moveTo(from.x, from.y);
    g.lineTo(to.x, to.y);
    g.stroke();
    last.current = to;
  };
  return (
    <canvas
      ref={canvas}
      class="playground-canvas"
      width={SIDE}
      height={SIDE}
      role="img"
      aria-labelledby="draw-title"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        last.current = null;
        line(at(e));
      }}
      onPointerMove={(e) => last.current && line(at(e))}
      onPointerUp={() => (last.current = null)}
      onPointerCancel={() => (last.current = null)}
    />
  );
}
