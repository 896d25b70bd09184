/** echod's version, read from package.json so there is one source of truth. */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
