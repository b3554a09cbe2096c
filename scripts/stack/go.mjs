// Go, for the parts built from the Go module proxy (the RIE, Jaeger). Any Go 1.21+ will do: a module
// that asks for a newer Go makes `go` fetch that toolchain from the same proxy (GOTOOLCHAIN=auto),
// unless the caller set GOTOOLCHAIN. scripts/setup/preflight.mjs checks for it before a command starts.
import { spawnSync } from 'node:child_process';

export const goAvailable = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

/** Throws the plain message when Go is missing. `what` names the part that needs it. */
export function requireGo(what) {
  if (!goAvailable()) throw new Error(`go not found: Go 1.21+ builds ${what} from the Go module proxy`);
}

/** The environment of a build: modules only, no cgo, toolchain switching allowed. */
export const goEnv = (extra = {}) => ({
  ...process.env,
  GOFLAGS: '-mod=mod',
  GOWORK: 'off',
  CGO_ENABLED: '0',
  GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'auto',
  ...extra,
});
