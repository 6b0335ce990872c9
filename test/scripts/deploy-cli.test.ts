/**
 * `npm run deploy` and `npm run destroy` without AWS: the cdk runner is injected, so each test
 * asserts on the command a deploy would run, or that none runs at all when the preflight refuses.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "#infra/scripts/cdk-command.ts";
import { cdkJsonContext } from "#infra/scripts/cdk-command.ts";
import { type DeployIo, main as deploy, outputsFileFor } from "#infra/scripts/deploy.ts";
import { main as deployLocal } from "#infra/scripts/deploy-local.ts";
import { type DestroyIo, main as destroy, type Retained } from "#infra/scripts/destroy.ts";

const GOOD = [
  "-c",
  "emailFrom=noreply@mail.ferry-customer.io",
  "-c",
  "sesIdentity=mail.ferry-customer.io",
  "-c",
  "upstashRestUrl=https://eu1-brave-cat-12345.upstash.io",
  "-c",
  "alarmEmail=oncall@ferry-customer.io",
];

function fakeDeployIo(outputs?: Record<string, Record<string, string>>, exitCode = 0) {
  const commands: Command[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const io: DeployIo = {
    run: async (command) => {
      commands.push(command);
      return exitCode;
    },
    baseContext: () => cdkJsonContext(),
    readOutputs: () => outputs,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { io, commands, out: () => out.join("\n"), err: () => err.join("\n") };
}

describe("npm run deploy: preflight", () => {
  it("refuses cdk.json's placeholders, naming each, and runs nothing", async () => {
    const t = fakeDeployIo();

    const code = await deploy([], t.io);

    expect(code).toBe(1);
    expect(t.commands).toEqual([]);
    expect(t.err()).toContain("nothing was sent to AWS");
    expect(t.err()).toMatch(/emailFrom: "ferry@example\.com" is a placeholder/);
    expect(t.err()).toMatch(/sesIdentity: "example\.com" is a placeholder/);
    expect(t.err()).toMatch(/upstashRestUrl: "https:\/\/example\.upstash\.io" is a placeholder/);
    expect(t.err()).toMatch(/alarmEmail: is not set/);
  });

  it("refuses malformed settings, naming each", async () => {
    const t = fakeDeployIo();

    const code = await deploy(
      [
        ...GOOD,
        "-c",
        "emailFrom=noreply@elsewhere.io",
        "-c",
        "upstashRestUrl=http://eu1-brave-cat-12345.upstash.io",
        "-c",
        "rateLimits={capacity:5}",
        "-c",
        "alarmEmail=oncall",
        "--stage",
        "bad_stage!",
      ],
      t.io,
    );

    expect(code).toBe(1);
    expect(t.commands).toEqual([]);
    expect(t.err()).toMatch(
      /emailFrom: "noreply@elsewhere\.io" is neither the SES identity "mail\.ferry-customer\.io"/,
    );
    expect(t.err()).toMatch(/upstashRestUrl: .* must be https/);
    expect(t.err()).toMatch(/rateLimits: is not valid JSON \(RATE_LIMITS\)/);
    expect(t.err()).toMatch(/alarmEmail: "oncall" is not an email address/);
    expect(t.err()).toMatch(/stage: "bad_stage!" must start with a letter/);
  });

  it("refuses a rate-limit policy the functions would refuse at cold start", async () => {
    const t = fakeDeployIo();

    const code = await deploy(
      [...GOOD, "-c", 'rateLimits={"emails":{"capacity":0,"refillPerSecond":1}}'],
      t.io,
    );

    expect(code).toBe(1);
    expect(t.err()).toMatch(/rateLimits: .*\(RATE_LIMITS\.emails\.capacity\)/);
  });

  it("accepts good settings and runs cdk deploy of Ferry-<stage> with them and an outputs file", async () => {
    const t = fakeDeployIo({
      "Ferry-staging": { HttpApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/" },
    });

    const code = await deploy(["--stage", "staging", ...GOOD, "--", "--require-approval", "never"], t.io);

    expect(code).toBe(0);
    expect(t.commands).toHaveLength(1);
    const [command] = t.commands;
    expect(command?.command).toMatch(/node_modules\/\.bin\/cdk$/);
    expect(command?.args).toEqual([
      "deploy",
      "Ferry-staging",
      "--no-notices",
      ...GOOD,
      "-c",
      "stage=staging",
      "--outputs-file",
      outputsFileFor("Ferry-staging"),
      "--require-approval",
      "never",
    ]);
  });

  it("deploys stack Ferry without a stage", async () => {
    const t = fakeDeployIo({ Ferry: {} });

    await deploy(GOOD, t.io);

    expect(t.commands[0]?.args.slice(0, 2)).toEqual(["deploy", "Ferry"]);
  });

  it("prints the outputs at the end: URLs without a trailing slash, DLQ names, dashboard", async () => {
    const t = fakeDeployIo({
      "Ferry-prod": {
        HttpApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/",
        WebSocketUrl: "wss://def.execute-api.eu-west-1.amazonaws.com/live",
        EmailsDeadLetterQueueName: "Ferry-prod-EmailsQueueDeadLetterQueue-1",
        PaymentsDeadLetterQueueName: "Ferry-prod-PaymentsQueueDeadLetterQueue-2.fifo",
        DashboardUrl:
          "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=Ferry-prod",
        SecretsArn: "arn:aws:secretsmanager:eu-west-1:1:secret:Secrets-x",
      },
    });

    const code = await deploy(["--stage", "prod", ...GOOD], t.io);

    expect(code).toBe(0);
    expect(t.out()).toMatch(/HTTP API\s+https:\/\/abc\.execute-api\.eu-west-1\.amazonaws\.com\n/);
    expect(t.out()).toMatch(/WebSocket\s+wss:\/\/def\.execute-api\.eu-west-1\.amazonaws\.com\/live\n/);
    expect(t.out()).toContain("emails: Ferry-prod-EmailsQueueDeadLetterQueue-1");
    expect(t.out()).toContain("payments: Ferry-prod-PaymentsQueueDeadLetterQueue-2.fifo");
    expect(t.out()).toContain("#dashboards:name=Ferry-prod");
    expect(t.out()).toContain("npm run secrets -- set --stage prod");
    expect(t.out()).toContain(
      "npm run smoke -- --base-url https://abc.execute-api.eu-west-1.amazonaws.com --api-key",
    );
  });

  it("passes a failed cdk deploy's exit code on and prints no outputs", async () => {
    const t = fakeDeployIo(undefined, 3);

    expect(await deploy(GOOD, t.io)).toBe(3);
    expect(t.out()).not.toContain("deployed.");
  });
});

function fakeDestroyIo(states: (Retained | undefined)[], exitCode = 0) {
  const commands: Command[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const io: DestroyIo = {
    run: async (command) => {
      commands.push(command);
      return exitCode;
    },
    listRetained: async () => states.shift(),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { io, commands, out: () => out.join("\n"), err: () => err.join("\n") };
}

describe("npm run destroy", () => {
  const retained: Retained = {
    logGroups: ["Ferry-staging-HealthFunctionLogGroup-abc"],
    secrets: ["arn:aws:secretsmanager:eu-west-1:1:secret:SecretsA3BCC2E9-xyz"],
  };

  it("runs cdk destroy of Ferry-<stage>, then names what it left and how to delete it", async () => {
    const t = fakeDestroyIo([retained, undefined]);

    const code = await destroy(["--stage", "staging"], t.io);

    expect(code).toBe(0);
    expect(t.commands[0]?.args).toEqual(["destroy", "Ferry-staging", "--no-notices", "-c", "stage=staging"]);
    expect(t.out()).toContain(
      "aws logs delete-log-group --log-group-name 'Ferry-staging-HealthFunctionLogGroup-abc'",
    );
    expect(t.out()).toContain(
      "aws secretsmanager delete-secret --secret-id 'arn:aws:secretsmanager:eu-west-1:1:secret:SecretsA3BCC2E9-xyz'",
    );
  });

  it("says so and runs nothing when the stack does not exist", async () => {
    const t = fakeDestroyIo([undefined]);

    expect(await destroy(["--stage", "gone"], t.io)).toBe(1);
    expect(t.commands).toEqual([]);
    expect(t.err()).toContain("there is no stack Ferry-gone");
  });

  it("does not claim success when the stack is still there (the prompt was answered no)", async () => {
    const t = fakeDestroyIo([retained, retained]);

    expect(await destroy([], t.io)).toBe(1);
    expect(t.err()).toContain("Ferry still exists");
  });
});

describe("npm run deploy:local", () => {
  const fake = (env: Record<string, string>) => {
    const commands: Command[] = [];
    const lines: string[] = [];
    const io = {
      run: async (command: Command) => {
        commands.push(command);
        return 0;
      },
      env,
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
    };
    return { io, commands, text: () => lines.join("\n") };
  };

  it("says which services need LocalStack's paid plans before it starts, and stops without a token", async () => {
    const t = fake({});

    const code = await deployLocal([], t.io);

    expect(code).toBe(1);
    expect(t.commands).toEqual([]);
    expect(t.text()).toMatch(/paid plans: API Gateway v2/);
    expect(t.text()).toMatch(/free plan: +Lambda, SQS, SES, Secrets Manager/);
    expect(t.text()).toContain("LOCALSTACK_AUTH_TOKEN is not set");
    expect(t.text()).toContain("FERRY_LOCAL_AWS_ENDPOINT=http://127.0.0.1:4566 npm run dev");
  });

  it("runs cdklocal deploy of the stage's stack when a token is set", async () => {
    const t = fake({ LOCALSTACK_AUTH_TOKEN: "ls-token" });

    expect(await deployLocal(["--stage", "dev"], t.io)).toBe(0);
    expect(t.commands[0]?.command).toMatch(/node_modules\/\.bin\/cdklocal$/);
    expect(t.commands[0]?.args).toEqual(["deploy", "Ferry-dev", "--no-notices", "-c", "stage=dev"]);
  });
});
