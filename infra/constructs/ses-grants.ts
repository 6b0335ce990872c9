/**
 * The IAM statements that let a function send Ferry's email with SESv2 SendEmail. IAM authorizes
 * ses:SendEmail against every identity the request involves — the From address's identity, its
 * domain's identity, and, while the account is in the SES sandbox, each recipient's identity — and
 * against the configuration set when one is used. A grant on `identity/<domain>` alone is denied
 * in all three cases (aws/aws-sdk-js#3641, aws/aws-cdk#34402; measured with an IAM simulator).
 */
import { Fn, type Stack, Token } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";

export interface SesGrantInput {
  /** The From address of every email (EMAIL_FROM). */
  readonly emailFrom: string;
  /** The verified identity named in the stack settings: its ARN, or its name (address or domain). */
  readonly sesIdentity?: string;
  /** The configuration set the emails are sent with, if any (SES_CONFIGURATION_SET). */
  readonly configurationSetName?: string;
}

/** The domain part of an address, also when the address is a token (a CfnParameter). */
function domainOf(address: string): string {
  if (Token.isUnresolved(address)) return Fn.select(1, Fn.split("@", address));
  return address.slice(address.lastIndexOf("@") + 1);
}

export function sesSendStatements(stack: Stack, input: SesGrantInput): PolicyStatement[] {
  const identity = (name: string) =>
    name.startsWith("arn:")
      ? name
      : stack.formatArn({ service: "ses", resource: "identity", resourceName: name });
  const senderIdentities = [
    ...new Set([
      input.emailFrom,
      domainOf(input.emailFrom),
      ...(input.sesIdentity ? [input.sesIdentity] : []),
    ]),
  ].map(identity);
  const configurationSet = input.configurationSetName
    ? [
        stack.formatArn({
          service: "ses",
          resource: "configuration-set",
          resourceName: input.configurationSetName,
        }),
      ]
    : [];
  return [
    new PolicyStatement({
      sid: "SendFromFerrySender",
      actions: ["ses:SendEmail"],
      resources: [...senderIdentities, ...configurationSet],
    }),
    // In the sandbox SES also checks each recipient's (verified) identity: allow any identity of
    // the account, but only for requests whose From address is Ferry's sender.
    new PolicyStatement({
      sid: "SendToSandboxRecipients",
      actions: ["ses:SendEmail"],
      resources: [identity("*")],
      conditions: { StringEquals: { "ses:FromAddress": input.emailFrom } },
    }),
  ];
}
