/** An event the function cannot act on. The message names what is wrong; nothing was written. */
export class InputError extends Error {
  override readonly name = "InputError";
}
