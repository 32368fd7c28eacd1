/** Validation of the structured keys: networks, authentication, alarms and DNS. */
import { DEFAULT_ALARMS, DEFAULT_USERS, defaultVpcCidr } from "./defaults";
import { Engine, compareVersions, supportsRbac } from "./engine";
import { cidrsOverlap, isOpenToWorld, parseCidr } from "./network";
import { Problems, Reader, stringArray } from "./reader";
import { AlarmThresholds, AuthConfig, CacheUser, RegionNetwork, Route53Config } from "./types";

const USER_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]*$/;
// ElastiCache passwords and AUTH tokens: 16..128 printable ASCII, without space, ", / or @.
const PASSWORD_PATTERN = /^[!#-.0-?A-~]{16,128}$/;

export function validateNetworks(r: Reader, p: Problems, regions: string[]): Record<string, RegionNetwork> {
    const given = r.object("networks") ?? {};
    const result: Record<string, RegionNetwork> = {};
    for (const region of Object.keys(given)) {
        if (!regions.includes(region)) {
            p.add(`networks.${region}`, given[region], "it is not one of the datastore's regions",
                `keys among ${regions.join(", ")}`);
        }
    }
    regions.forEach((region) => {
        const key = `networks.${region}`;
        const n = (given[region] ?? {}) as Record<string, unknown>;
        if (typeof n !== "object" || Array.isArray(n)) {
            p.add(key, n, undefined, "an object with vpcId and subnetIds, or vpcCidr");
            return;
        }
        const allowedCidrs = stringArray(n.allowedCidrs);
        const allowedSecurityGroupIds = stringArray(n.allowedSecurityGroupIds);
        if (allowedCidrs === undefined) {
            p.add(`${key}.allowedCidrs`, n.allowedCidrs, undefined, "a list of CIDR blocks");
        }
        if (allowedSecurityGroupIds === undefined) {
            p.add(`${key}.allowedSecurityGroupIds`, n.allowedSecurityGroupIds, undefined, "a list of security group ids (sg-...)");
        }
        (allowedCidrs ?? []).forEach((cidr, i) => {
            if (isOpenToWorld(cidr)) {
                p.add(`${key}.allowedCidrs[${i}]`, cidr, "it opens the cache to the whole internet", "private CIDR blocks of the clients");
            } else if (!parseCidr(cidr) && !(/^[0-9a-f]*:[0-9a-f:]*\/\d{1,3}$/i.test(cidr) && Number(cidr.split("/")[1]) <= 128)) {
                p.add(`${key}.allowedCidrs[${i}]`, cidr, undefined, "a CIDR block such as 10.0.0.0/16 (network address, no host bits)");
            }
        });
        (allowedSecurityGroupIds ?? []).forEach((id, i) => {
            if (!/^sg-[0-9a-f]{8,17}$/.test(id)) {
                p.add(`${key}.allowedSecurityGroupIds[${i}]`, id, undefined, "a security group id such as sg-0123456789abcdef0");
            }
        });
        const access = { allowedCidrs: allowedCidrs ?? [], allowedSecurityGroupIds: allowedSecurityGroupIds ?? [] };

        if (n.vpcId !== undefined || n.subnetIds !== undefined) {
            if (n.vpcCidr !== undefined) {
                p.add(key, n, "it sets both vpcId/subnetIds and vpcCidr", "either existing vpcId and subnetIds, or vpcCidr for a new VPC");
            }
            const vpcId = typeof n.vpcId === "string" && /^vpc-[0-9a-f]{8,17}$/.test(n.vpcId) ? n.vpcId : undefined;
            if (!vpcId) {
                p.add(`${key}.vpcId`, n.vpcId, undefined, "the id of an existing VPC, such as vpc-0123456789abcdef0");
            }
            const subnetIds = stringArray(n.subnetIds);
            if (!subnetIds || subnetIds.length < 2 || subnetIds.some((s) => !/^subnet-[0-9a-f]{8,17}$/.test(s))) {
                p.add(`${key}.subnetIds`, n.subnetIds, undefined,
                    "a list of at least two private subnet ids (subnet-...) in different availability zones, three recommended");
            }
            if (allowedCidrs?.length === 0 && allowedSecurityGroupIds?.length === 0) {
                p.add(key, n, "it names no clients", "allowedCidrs or allowedSecurityGroupIds listing who may connect to the cache");
            }
            result[region] = { mode: "existing", vpcId: vpcId ?? "", subnetIds: subnetIds ?? [], ...access };
            return;
        }
        const vpcCidr = n.vpcCidr === undefined ? defaultVpcCidr(region) : n.vpcCidr;
        const parsed = typeof vpcCidr === "string" ? parseCidr(vpcCidr) : undefined;
        if (vpcCidr === undefined) {
            p.missing(`${key}.vpcCidr`, "an IPv4 CIDR block from /16 to /24 such as 10.100.0.0/16",
                `${region} has no default block; give its new VPC one, or name existing subnets.`);
        } else if (!parsed || parsed.prefix < 16 || parsed.prefix > 24) {
            p.add(`${key}.vpcCidr`, vpcCidr, undefined, "an IPv4 CIDR block from /16 to /24 such as 10.100.0.0/16");
        }
        const cidr = String(vpcCidr);
        result[region] = {
            mode: "create", vpcCidr: cidr,
            // A new VPC with no clients named admits its own address range, nothing wider.
            allowedCidrs: access.allowedCidrs.length || access.allowedSecurityGroupIds.length ? access.allowedCidrs : [cidr],
            allowedSecurityGroupIds: access.allowedSecurityGroupIds,
        };
    });
    // Overlapping VPCs could never be peered to each other or to one client network.
    const created = regions.filter((region) => {
        const n = result[region];
        const c = n?.mode === "create" ? parseCidr(n.vpcCidr) : undefined;
        return c !== undefined && c.prefix >= 16 && c.prefix <= 24; // bad blocks are reported already
    });
    created.forEach((region, i) => {
        for (const other of created.slice(0, i)) {
            const a = parseCidr((result[region] as { vpcCidr: string }).vpcCidr);
            const b = parseCidr((result[other] as { vpcCidr: string }).vpcCidr);
            if (a && b && cidrsOverlap(a, b)) {
                p.add(`networks.${region}.vpcCidr`, (result[region] as { vpcCidr: string }).vpcCidr,
                    `it overlaps the VPC of ${other}`,
                    "a /16../24 block that overlaps no other region's VPC; set vpcCidr explicitly");
            }
        }
    });
    return result;
}

export function validateAuth(r: Reader, p: Problems, engine: Engine, version: string): AuthConfig | undefined {
    if (!supportsRbac(engine, version)) {
        if (r.has("users")) {
            p.add("users", r.list("users") ?? r.raw("users"), `${engine} ${version} has no RBAC`, "no users; set the secret authToken instead");
        }
        const token = r.string("authToken");
        if (token === undefined) {
            p.missing("authToken", "a secret of 16..128 printable characters without space, \", / or @",
                "Set it with: pulumi config set --secret elasticache-global:authToken <token>");
            return undefined;
        }
        if (!PASSWORD_PATTERN.test(token)) {
            p.add("authToken", token, undefined, "16..128 printable characters without space, \", / or @");
        }
        return { mode: "auth-token", token };
    }
    if (r.has("authToken")) {
        p.add("authToken", r.raw("authToken"), `${engine} ${version} uses RBAC users`, "no authToken; use users and userPasswords");
    }
    const listedUsers = r.list("users");
    if (listedUsers === undefined && r.has("users")) {
        return undefined; // already reported; checking passwords of the default user instead would mislead
    }
    const rawUsers = listedUsers ?? [...DEFAULT_USERS];
    const users: CacheUser[] = [];
    const named: CacheUser[] = []; // users whose name was accepted: only they need a password
    rawUsers.forEach((u, i) => {
        const key = `users[${i}]`;
        const entry = (u ?? {}) as Record<string, unknown>;
        const name = entry.name;
        const access = entry.access;
        const authentication = entry.authentication ?? "password";
        let nameAccepted = false;
        if (typeof name !== "string" || !USER_NAME_PATTERN.test(name) || name === "default") {
            p.add(`${key}.name`, name, undefined, "a user name of letters, digits and hyphens, starting with a letter, other than \"default\"");
        } else if (users.some((x) => x.name === name)) {
            p.add(`${key}.name`, name, "it is listed twice", "distinct user names");
        } else {
            nameAccepted = true;
        }
        if (typeof access !== "string" || !/^(on|off)\b/.test(access)) {
            p.add(`${key}.access`, access, undefined, "a Redis ACL string starting with on or off, for example \"on ~app:* +@all -@dangerous\"");
        }
        if (authentication !== "password" && authentication !== "iam") {
            p.add(`${key}.authentication`, authentication, undefined, "password or iam");
        }
        if (authentication === "iam" && engine === "redis" && compareVersions(version, "7.0") < 0) {
            p.add(`${key}.authentication`, authentication, `IAM authentication needs Redis OSS 7.0 or later, not ${version}`, "password");
        }
        const user: CacheUser = { name: String(name), access: String(access), authentication: authentication as CacheUser["authentication"] };
        users.push(user);
        if (nameAccepted) {
            named.push(user);
        }
    });
    if (users.length === 0) {
        p.add("users", rawUsers, "with the default user disabled nobody could connect", "at least one user");
    }
    const givenPasswords = r.object("userPasswords");
    const passwordsUnreadable = givenPasswords === undefined && r.has("userPasswords");
    const passwords = (givenPasswords ?? {}) as Record<string, unknown>;
    for (const user of named.filter((u) => u.authentication === "password")) {
        const password = passwords[user.name];
        if (password === undefined) {
            if (passwordsUnreadable) {
                continue; // already reported as a whole
            }
            p.missing(`userPasswords.${user.name}`, "a secret of 16..128 printable characters without space, \", / or @",
                `Set it with: pulumi config set --secret --path 'elasticache-global:userPasswords.${user.name}' <password>`);
        } else if (typeof password !== "string" || !PASSWORD_PATTERN.test(password)) {
            p.add(`userPasswords.${user.name}`, password, undefined, "16..128 printable characters without space, \", / or @");
        }
    }
    return { mode: "rbac", users, passwords: passwords as Record<string, string> };
}

export function validateAlarms(r: Reader, p: Problems): AlarmThresholds {
    const given = r.object("alarms") ?? {};
    const alarms: AlarmThresholds = { ...DEFAULT_ALARMS };
    for (const [name, value] of Object.entries(given)) {
        if (!(name in DEFAULT_ALARMS)) {
            p.add(`alarms.${name}`, value, "it is not an alarm setting", `one of ${Object.keys(DEFAULT_ALARMS).join(", ")}`);
        } else if (typeof value !== "number" || !(value > 0)) {
            p.add(`alarms.${name}`, value, undefined, "a positive number");
        } else {
            alarms[name as keyof AlarmThresholds] = value;
        }
    }
    for (const percent of ["cpuPercent", "memoryPercent"] as const) {
        if (alarms[percent] > 100) {
            p.add(`alarms.${percent}`, alarms[percent], undefined, "a percentage from 1 to 100");
        }
    }
    if (alarms.periodSeconds % 60 !== 0) {
        p.add("alarms.periodSeconds", alarms.periodSeconds, undefined, "a multiple of 60 (ElastiCache publishes one data point a minute)");
    }
    if (!Number.isInteger(alarms.evaluationPeriods)) {
        p.add("alarms.evaluationPeriods", alarms.evaluationPeriods, undefined, "a whole number of periods");
    }
    return alarms;
}

export function validateRoute53(r: Reader, p: Problems): Route53Config | undefined {
    const given = r.object("route53");
    if (!given) {
        return undefined;
    }
    const { zoneId, recordName } = given as Record<string, unknown>;
    if (typeof zoneId !== "string" || !/^Z[A-Z0-9]{4,31}$/.test(zoneId)) {
        p.add("route53.zoneId", zoneId, undefined, "the id of a private hosted zone, such as Z0123456789ABCDEFGHIJ");
    }
    if (typeof recordName !== "string" || !/^[a-z0-9.-]+$/i.test(recordName)) {
        p.add("route53.recordName", recordName, undefined, "a DNS name inside the zone, such as cache-writer.internal.example.com");
    }
    return { zoneId: String(zoneId), recordName: String(recordName) };
}

// Principals a trust policy names: an account root, an IAM user or an IAM role, with an optional path.
const PRINCIPAL_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(root|(user|role)\/([\w+=,.@-]+\/)*[\w+=,.@-]+)$/;

export function validateRecoveryRolePrincipals(r: Reader, p: Problems): string[] | undefined {
    if (!r.has("recoveryRolePrincipals")) {
        return undefined;
    }
    const principals = r.stringList("recoveryRolePrincipals");
    if (principals === undefined) {
        return undefined;
    }
    const accepted = "IAM principal ARNs such as arn:aws:iam::123456789012:root or arn:aws:iam::123456789012:role/oncall";
    if (principals.length === 0) {
        p.add("recoveryRolePrincipals", principals, "nobody could assume the recovery role",
            `at least one of ${accepted}; remove the key to trust the account root`);
    }
    principals.forEach((principal, i) => {
        if (!PRINCIPAL_ARN_PATTERN.test(principal)) {
            p.add(`recoveryRolePrincipals[${i}]`, principal, undefined, accepted);
        } else if (principals.indexOf(principal) !== i) {
            p.add(`recoveryRolePrincipals[${i}]`, principal, "it is listed twice", "distinct principals");
        }
    });
    return principals;
}
