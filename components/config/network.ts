/** IPv4 CIDR arithmetic for the private subnets of a VPC the program creates. */

export interface Cidr {
    base: number; // network address as an unsigned 32-bit integer
    prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!m) {
        return undefined;
    }
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    if (address % size !== 0) {
        return undefined; // host bits set: 10.0.0.1/16 is a typo for 10.0.0.0/16
    }
    return { base: address, prefix };
}

export function formatCidr(c: Cidr): string {
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256);
    return `${octets.join(".")}/${c.prefix}`;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + 2 ** (32 - a.prefix);
    const bEnd = b.base + 2 ** (32 - b.prefix);
    return a.base < bEnd && b.base < aEnd;
}

/** The index-th subnet of `parent` with `newPrefix` bits. */
export function subnetCidr(parent: string, newPrefix: number, index: number): string {
    const p = parseCidr(parent);
    if (!p || newPrefix < p.prefix || newPrefix > 32) {
        throw new Error(`cannot carve /${newPrefix} subnets out of ${parent}`);
    }
    const size = 2 ** (32 - newPrefix);
    if ((index + 1) * size > 2 ** (32 - p.prefix)) {
        throw new Error(`${parent} has no room for subnet ${index} of size /${newPrefix}`);
    }
    return formatCidr({ base: p.base + index * size, prefix: newPrefix });
}

/** Private subnets are a quarter of the VPC each (three used, one left for growth). */
export function privateSubnetCidrs(vpcCidr: string, count: number): string[] {
    const p = parseCidr(vpcCidr);
    if (!p) {
        throw new Error(`invalid CIDR ${vpcCidr}`);
    }
    return Array.from({ length: count }, (_, i) => subnetCidr(vpcCidr, p.prefix + 2, i));
}

/** Any /0 block admits every address, however the address is spelled (0.0.0.0/0, ::/0, 0::/0, 0.0.0.0/00). */
export function isOpenToWorld(cidr: string): boolean {
    const m = /\/(\d+)$/.exec(cidr.trim());
    return m !== null && Number(m[1]) === 0;
}
