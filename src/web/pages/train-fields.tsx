// One form field per schema property: a select for an enum, a checkbox for a boolean, a number input,
// a list of numbers as text, and for unions a choice that reveals the chosen branch's fields.
import type { Prop, Raw } from "./train-schema.js";
import { LABELS, toggled } from "./train-schema.js";

export interface FieldProps {
  prop: Prop;
  /** The dotted path of the field's text in `raw`. */
  path: string;
  raw: Raw;
  set: (path: string, text: string) => void;
  /** The schema requires a value (a number field of a union branch without a default). */
  required?: boolean;
}

export function Field({ prop, path, raw, set, required }: FieldProps) {
  const name = path.split(".").pop()!;
  const [label, help] = LABELS[name] ?? [name];
  const id = `field-${path.replace(/\./g, "-")}`;
  const helpId = help ? `${id}-help` : undefined;
  const helpText = help && (
    <p id={helpId} class="field-help">
      {help}
    </p>
  );
  const on = toggled(prop);

  if (prop.type === "boolean" || on) {
    return (
      <div class="train-field">
        <label for={id} class="train-check">
          <input id={id} type="checkbox" checked={raw[path] === "true"} aria-describedby={helpId} onChange={(e) => set(path, String(e.currentTarget.checked))} />
          {label}
        </label>
        {helpText}
        {on && raw[path] === "true" && <Fields props={on.properties ?? {}} prefix={path} raw={raw} set={set} />}
      </div>
    );
  }
  if (prop.oneOf) {
    const kind = raw[`${path}.kind`];
    const branch = prop.oneOf.find((b) => b.properties?.kind?.const === kind);
    const rest = Object.fromEntries(Object.entries(branch?.properties ?? {}).filter(([k]) => k !== "kind"));
    return (
      <div class="train-field">
        <label for={id}>{label}</label>
        <select id={id} value={kind} onChange={(e) => set(`${path}.kind`, e.currentTarget.value)}>
          {prop.oneOf.map((b) => (
            <option key={String(b.properties?.kind?.const)}>{String(b.properties?.kind?.const)}</option>
          ))}
        </select>
        <Fields props={rest} prefix={path} raw={raw} set={set} required={branch?.required} />
      </div>
    );
  }
  return (
    <div class="train-field">
      <label for={id}>{label}</label>
      <Input id={id} prop={prop} value={raw[path] ?? ""} required={required} describedBy={helpId} onInput={(text) => set(path, text)} />
      {helpText}
    </div>
  );
}

/** The fields of an object's properties, under `prefix`. */
function Fields({ props, prefix, raw, set, required }: { props: Record<string, Prop>; prefix: string; raw: Raw; set: FieldProps["set"]; required?: string[] }) {
  const names = Object.keys(props);
  if (names.length === 0) return null;
  return (
    <div class="train-nested">
      {names.map((k) => (
        <Field key={k} prop={props[k]} path={`${prefix}.${k}`} raw={raw} set={set} required={required?.includes(k)} />
      ))}
    </div>
  );
}

function Input({ id, prop, value, required, describedBy, onInput }: { id: string; prop: Prop; value: string; required?: boolean; describedBy?: string; onInput: (text: string) => void }) {
  if (prop.enum) {
    return (
      <select id={id} value={value} aria-describedby={describedBy} onChange={(e) => onInput(e.currentTarget.value)}>
        {prop.enum.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
    );
  }
  if (prop.type === "array") {
    return <input id={id} type="text" inputMode="numeric" pattern="\d+(\s*,\s*\d+)*" required value={value} aria-describedby={describedBy} onInput={(e) => onInput(e.currentTarget.value)} />;
  }
  const integer = prop.type === "integer";
  return (
    <input
      id={id}
      type="number"
      step={integer ? 1 : "any"}
      min={prop.minimum ?? (prop.exclusiveMinimum !== undefined ? prop.exclusiveMinimum + (integer ? 1 : 0) : undefined)}
      max={prop.maximum !== undefined && prop.maximum < Number.MAX_SAFE_INTEGER ? prop.maximum : undefined}
      required={required}
      value={value}
      aria-describedby={describedBy}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
}
