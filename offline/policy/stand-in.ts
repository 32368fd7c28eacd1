/**
 * A module that is not loaded until something needs more of it than is already known: the pack's
 * launcher (launch-pack.ts) puts these in Node's module cache for modules run-policy-pack and the
 * Pulumi SDK require on start but the pack never uses, each of which costs tens of milliseconds or more
 * of CPU on every pack start.
 *
 * `known` answers its own properties without loading anything, always (so a stubbed function stays
 * stubbed); any other property read, `in` test or key listing loads the real module once and is
 * forwarded to it.
 */
import Module = require("module");

export function standIn(file: string, known: Record<string | symbol, unknown>, load: () => object = () => requireReal(file)): object {
    let real: object | undefined;
    const loaded = (): object => (real ??= load());
    const isKnown = (key: string | symbol) => Object.prototype.hasOwnProperty.call(known, key);
    const proxy = new Proxy({}, {
        get: (_, key) => (isKnown(key) ? known[key] : Reflect.get(loaded(), key)),
        has: (_, key) => isKnown(key) || Reflect.has(loaded(), key),
        ownKeys: () => [...new Set([...Reflect.ownKeys(known), ...Reflect.ownKeys(loaded())])],
        getOwnPropertyDescriptor: (_, key) => {
            const descriptor = isKnown(key)
                ? { value: known[key], writable: false, enumerable: true }
                : Reflect.getOwnPropertyDescriptor(loaded(), key);
            // A proxy may only report configurable properties its (empty) target does not have.
            return descriptor && { ...descriptor, configurable: true };
        },
    });
    const module = new Module(file);
    module.filename = file;
    module.loaded = true;
    module.exports = proxy;
    require.cache[file] = module;
    return proxy;
}

/** The real module at `file`, loaded past the stand-in that holds its place in the cache. */
function requireReal(file: string): object {
    const standing = require.cache[file];
    delete require.cache[file];
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(file) as object;
    } finally {
        // Later requires get the stand-in again, which forwards to the module just loaded.
        if (standing) {
            require.cache[file] = standing;
        }
    }
}
