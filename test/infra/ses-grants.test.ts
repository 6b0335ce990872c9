import { CfnParameter, Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { sesSendStatements } from "#infra/constructs/ses-grants.ts";

const resolved = (stack: Stack, value: unknown) => JSON.stringify(stack.resolve(value));

describe("sesSendStatements", () => {
  it("grants the From identity, its domain, the named identity and the configuration set", () => {
    // Prepare
    const stack = new Stack();

    // Act
    const [sender, recipients] = sesSendStatements(stack, {
      emailFrom: "ferry@mail.example.com",
      sesIdentity: "arn:aws:ses:eu-west-1:111122223333:identity/example.com",
      configurationSetName: "ferry-events",
    }).map((s) => s.toStatementJson() as { Action: unknown; Resource: unknown; Condition?: unknown });

    // Assess
    expect(sender?.Action).toBe("ses:SendEmail");
    const resources = resolved(stack, sender?.Resource);
    expect(resources).toContain(":identity/ferry@mail.example.com");
    expect(resources).toContain(":identity/mail.example.com");
    expect(resources).toContain("arn:aws:ses:eu-west-1:111122223333:identity/example.com");
    expect(resources).toContain(":configuration-set/ferry-events");
    expect(resolved(stack, recipients?.Resource)).toContain(":identity/*");
    expect(recipients?.Condition).toEqual({ StringEquals: { "ses:FromAddress": "ferry@mail.example.com" } });
  });

  it("derives the domain identity in CloudFormation when the sender is a parameter", () => {
    // Prepare
    const stack = new Stack();
    const emailFrom = new CfnParameter(stack, "EmailFrom").valueAsString;

    // Act
    const [sender] = sesSendStatements(stack, { emailFrom });

    // Assess
    expect(resolved(stack, sender?.toStatementJson().Resource)).toContain(
      '"Fn::Split":["@",{"Ref":"EmailFrom"}]',
    );
  });
});
