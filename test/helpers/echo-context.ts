/**
 * The EchoContext that unit tests of the echo core hand to the lifecycle and
 * the handlers: fresh stats and limits, a silent logger, nothing draining
 * (src/echo/context.ts makes it).
 */
export { createEchoContext as createTestContext } from "../../src/echo/context.ts";
