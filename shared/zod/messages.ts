/**
 * zod/mini loads no locale: without one every issue reads "Invalid input". Importing this module
 * installs zod's English messages (what classic zod installs on import), which reach users in
 * problem+json `errors` and operators in configuration errors. Every module that turns issues
 * into words imports it, so none depends on another having done so first.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());
