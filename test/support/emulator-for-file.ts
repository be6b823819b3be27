import { afterAll } from "vitest";
import { type Emulator, type EmulatorOptions, startEmulator } from "../emulator";

/** One emulator for a whole test file, closed when the file is done (tests only: it uses vitest). */
export async function emulatorForFile(opts?: EmulatorOptions): Promise<Emulator> {
  const emu = await startEmulator(opts);
  afterAll(() => emu.close());
  return emu;
}
