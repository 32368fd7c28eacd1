/**
 * SSM PutParameter and GetParameter over a per-region parameter store, for the writer parameter the
 * recovery programs move during an outage. Parameters are regional: a write in one region is not seen
 * in another. Test-only.
 */
import { GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, ValidationException } from "@aws-sdk/client-ssm";
import { serviceError } from "./errors";
import { HandlerEntry } from "./elasticache-handlers";
import { FakeModel, FakeParameter } from "./model";

const FAKE_ACCOUNT_ID = "123456789012";
const TYPES = ["String", "StringList", "SecureString"];

function parameterArn(p: FakeParameter): string {
    return `arn:aws:ssm:${p.region}:${FAKE_ACCOUNT_ID}:parameter/${p.name.replace(/^\//, "")}`;
}

/** Sets a parameter as the program (or a test) would have left it. */
export function putParameter(model: FakeModel, region: string, name: string, value: string, type = "String"): FakeParameter {
    const key = FakeModel.key(region, name);
    const previous = model.parameters.get(key);
    const parameter: FakeParameter = { region, name, value, type, version: (previous?.version ?? 0) + 1, lastModified: model.clock.now() };
    model.parameters.set(key, parameter);
    return parameter;
}

export function ssmHandlers(model: FakeModel): HandlerEntry[] {
    return [
        {
            command: PutParameterCommand,
            // SSM API Reference, PutParameter: Overwrite defaults to false and an existing name then
            // answers ParameterAlreadyExists; Type may be left out only when updating. Tier "Standard" and
            // DataType "text" are the documented defaults. The ValidationException for a bad Type is an assumption.
            handle: (region, input) => {
                if (!input.Name || input.Value === undefined) {
                    throw serviceError(ValidationException, "PutParameter: Name and Value are required");
                }
                const existing = model.parameters.get(FakeModel.key(region, input.Name));
                if (existing && input.Overwrite !== true) {
                    throw serviceError(ParameterAlreadyExists, `The parameter ${input.Name} already exists in ${region}; set Overwrite to replace its value`);
                }
                const type = input.Type ?? existing?.type;
                if (!type || !TYPES.includes(type)) {
                    throw serviceError(ValidationException, `PutParameter: Type ${JSON.stringify(input.Type)} is not valid; one of ${TYPES.join(", ")}`);
                }
                const saved = putParameter(model, region, input.Name, input.Value, type);
                return { Version: saved.version, Tier: "Standard" };
            },
        },
        {
            command: GetParameterCommand,
            handle: (region, input) => {
                const p = model.parameters.get(FakeModel.key(region, input.Name ?? ""));
                // SSM API Reference, GetParameter, Errors: ParameterNotFound.
                if (!p) {
                    throw serviceError(ParameterNotFound, `Parameter ${input.Name} not found in ${region}`);
                }
                return { Parameter: { Name: p.name, Type: p.type, Value: p.value, Version: p.version, LastModifiedDate: new Date(p.lastModified), ARN: parameterArn(p), DataType: "text" } };
            },
        },
    ];
}
