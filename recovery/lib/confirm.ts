/**
 * The one gate between the read-only checks and the first change. Nothing changes without --yes or,
 * on a terminal, the operator typing the exact word we ask for (the target region): at 3 a.m. a
 * "y" is typed by reflex, a region name is read first.
 */
import * as readline from "node:readline";

/** How the confirmation talks to a human; tests pass their own. */
export interface ConfirmIo {
    /** Whether stdin is an interactive terminal. */
    isTTY: boolean;
    /** Shows the question and resolves with the line the human typed. */
    ask(question: string): Promise<string>;
}

/** The confirmation was not given; nothing has been changed. */
export class NotConfirmedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NotConfirmedError";
    }
}

export interface ConfirmRequest {
    /** --yes was given. */
    yes: boolean;
    /** What will change, one line per change, shown before the question. */
    plan: string[];
    /** The word the human must type, for example the target region. */
    expected: string;
    /** What `expected` is, for the question: "the target region". */
    expectedWhat: string;
    /** The command line to rerun with --yes, for the refusal message. */
    rerunWithYes: string;
    io: ConfirmIo;
}

/** Resolves when the change may go ahead; throws NotConfirmedError otherwise. */
export async function confirmChange(req: ConfirmRequest): Promise<"flag" | "typed"> {
    if (req.yes) {
        return "flag";
    }
    if (!req.io.isTTY) {
        throw new NotConfirmedError("refusing to change anything without confirmation: stdin is not a terminal and --yes " +
            `was not given. Review the plan (add --dry-run to see it), then run: ${req.rerunWithYes}`);
    }
    const question = ["About to:", ...req.plan.map((line) => `  - ${line}`),
        `Type ${req.expectedWhat} (${req.expected}) to proceed, anything else to stop: `].join("\n");
    const answer = (await req.io.ask(question)).trim();
    if (answer !== req.expected) {
        throw new NotConfirmedError(`not confirmed: you typed ${JSON.stringify(answer)}, expected ${JSON.stringify(req.expected)}. Nothing was changed.`);
    }
    return "typed";
}

/** Asks on the process's terminal (stderr, so --json output on stdout stays machine-readable). */
export function terminalConfirmIo(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stderr): ConfirmIo {
    return {
        isTTY: input.isTTY === true,
        ask: (question) => new Promise((resolve) => {
            const rl = readline.createInterface({ input, output });
            rl.question(question, (answer) => {
                rl.close();
                resolve(answer);
            });
        }),
    };
}
