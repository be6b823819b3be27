import type { AddressInfo } from "node:net";
import { createContext } from "./context";
import { createControl } from "./control";
import { createEmulatorServer } from "./server";
import type { Emulator, EmulatorOptions } from "./types";

/**
 * A loopback Huawei Cloud emulator: ROMA Connect / APIG VPC channels, Auto Scaling, ECS, SMN and
 * FunctionGraph on one port, with AK/SK signature checks, fault injection and a call log.
 * See docs/emulator-spec.md.
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const ctx = createContext(opts);
  const control = createControl(ctx);
  const server = createEmulatorServer(ctx, control);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    projectId: ctx.options.projectId,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export { ControlError } from "./control";
export { FaultError } from "./faults";
export type * from "./model";
export { StateError, type StateInput } from "./state";
export type * from "./types";
