/**
 * Imported first by every local command (`npm run dev`, keys, dlq, bench): the AWS SDK warns on
 * each client that Node 20 will lose support, which on a machine with Node 20 repeats on every
 * command and says nothing actionable (Lambda runs Node 22). Only these local processes are
 * silenced; a deployed function never imports this file.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
