// Test helper: the reference ONNX checker (Debian's python3-onnx, which CI installs). Tests that use
// it are skipped, visibly, on a machine without it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PYTHON = "/usr/bin/python3";

/** Whether python3-onnx is installed. */
export const hasOnnxChecker: boolean =
  existsSync(PYTHON) &&
  (() => {
    try {
      execFileSync(PYTHON, ["-c", "import onnx"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

/**
 * Runs `onnx.checker.check_model(model, full_check=True)` (shape inference included) on a model
 * file; throws with the checker's message if it fails. Returns "<ir_version> <default opset>".
 */
export function checkOnnxModel(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), "maas-checker-"));
  try {
    const path = join(dir, "model.onnx");
    writeFileSync(path, bytes);
    const script = "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.ir_version, [o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')][0])";
    return execFileSync(PYTHON, ["-c", script, path]).toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
