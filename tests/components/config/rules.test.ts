import assert from "node:assert/strict";
import {
    clusterParameterGroup, compareVersions, nodeTypeProblem, parseVersion, supportsRbac, usesDataTiering,
} from "../../../components/config/engine";
import { formatCidr, isOpenToWorld, parseCidr, privateSubnetCidrs, subnetCidr } from "../../../components/config/network";
import { Interval, parseMaintenanceWindow, parseSnapshotWindow, windowsOverlap } from "../../../components/config/windows";

const DAY = 24 * 60;
const WEEK = 7 * DAY;

/** The parsed value of a window that must parse. */
function snapshot(text: string): { start: number; minutes: number } {
    const parsed = parseSnapshotWindow(text);
    assert.ok(typeof parsed !== "string", `${text}: ${String(parsed)}`);
    return parsed;
}

function maintenance(text: string): Interval {
    const parsed = parseMaintenanceWindow(text);
    assert.ok(typeof parsed !== "string", `${text}: ${String(parsed)}`);
    return parsed;
}

describe("engine rules", () => {
    describe("parseVersion", () => {
        it("parses major.minor and major.minor.patch", () => {
            assert.deepEqual(parseVersion("7.2"), [7, 2, 0]);
            assert.deepEqual(parseVersion("5.0.6"), [5, 0, 6]);
            assert.deepEqual(parseVersion("10.12.3"), [10, 12, 3]);
        });

        it("rejects anything else", () => {
            for (const text of ["7", "7.x", "6.x", "v7.2", "7.2.1.0", "7.2-rc1", "", " 7.2"]) {
                assert.equal(parseVersion(text), undefined, text);
            }
        });
    });

    describe("compareVersions", () => {
        it("orders versions numerically, component by component", () => {
            assert.ok(compareVersions("5.0.5", "5.0.6") < 0);
            assert.ok(compareVersions("5.0.6", "5.0.5") > 0);
            assert.ok(compareVersions("6.0", "5.0.6") > 0);
            assert.ok(compareVersions("7.10", "7.2") > 0, "7.10 is newer than 7.2");
            assert.ok(compareVersions("4.0.10", "5.0.6") < 0);
            assert.ok(compareVersions("8.0", "7.2") > 0);
        });

        it("treats a missing patch as 0", () => {
            assert.equal(compareVersions("7.2", "7.2.0"), 0);
            assert.equal(compareVersions("7.2", "7.2"), 0);
        });

        it("throws on a version it cannot parse", () => {
            assert.throws(() => compareVersions("6.x", "6.0"), /cannot compare versions "6\.x" and "6\.0"/);
            assert.throws(() => compareVersions("6.0", "latest"), /cannot compare versions/);
        });
    });

    describe("supportsRbac", () => {
        it("is true for every valkey version", () => {
            assert.equal(supportsRbac("valkey", "7.2"), true);
            assert.equal(supportsRbac("valkey", "8.0"), true);
        });

        it("is true for redis from 6.0 on and false before", () => {
            assert.equal(supportsRbac("redis", "5.0.6"), false);
            assert.equal(supportsRbac("redis", "5.0.9"), false);
            assert.equal(supportsRbac("redis", "6.0"), true);
            assert.equal(supportsRbac("redis", "6.2"), true);
            assert.equal(supportsRbac("redis", "7.1"), true);
        });
    });

    describe("nodeTypeProblem", () => {
        it("accepts large or bigger nodes of every Global Datastore family", () => {
            for (const nodeType of [
                "cache.r7g.large", "cache.r7g.xlarge", "cache.r6g.16xlarge", "cache.r6gd.xlarge", "cache.r5.24xlarge",
                "cache.m5.large", "cache.m6g.2xlarge", "cache.m7g.4xlarge", "cache.c7gn.large",
            ]) {
                assert.equal(nodeTypeProblem(nodeType), undefined, nodeType);
            }
        });

        it("rejects burstable t-family nodes", () => {
            for (const nodeType of ["cache.t4g.medium", "cache.t3.micro", "cache.t2.small", "cache.t4g.large"]) {
                assert.equal(nodeTypeProblem(nodeType), "is a burstable t-family node type, which cannot join a Global Datastore", nodeType);
            }
        });

        it("rejects families Global Datastore does not support", () => {
            assert.equal(nodeTypeProblem("cache.m4.large"), "is of family m4, which Global Datastore does not support");
            assert.equal(nodeTypeProblem("cache.r4.xlarge"), "is of family r4, which Global Datastore does not support");
            assert.equal(nodeTypeProblem("cache.c5.large"), "is of family c5, which Global Datastore does not support");
        });

        it("rejects sizes below large", () => {
            assert.equal(nodeTypeProblem("cache.r7g.medium"), "is of size medium; Global Datastore needs large or bigger");
            assert.equal(nodeTypeProblem("cache.m6g.small"), "is of size small; Global Datastore needs large or bigger");
        });

        it("rejects r6gd large, which is not offered (data tiering starts at xlarge)", () => {
            assert.equal(nodeTypeProblem("cache.r6gd.large"), "is not offered: data-tiering r6gd nodes start at xlarge");
        });

        it("rejects text that is not a node type", () => {
            for (const nodeType of ["r7g.large", "cache.r7g", "CACHE.R7G.LARGE", "cache.r7g.huge", "cache.r7g.2large", ""]) {
                assert.equal(nodeTypeProblem(nodeType), "is not an ElastiCache node type (cache.<family>.<size>)", nodeType);
            }
        });
    });

    describe("usesDataTiering", () => {
        it("is true only for r6gd nodes", () => {
            assert.equal(usesDataTiering("cache.r6gd.xlarge"), true);
            assert.equal(usesDataTiering("cache.r6gd.16xlarge"), true);
            assert.equal(usesDataTiering("cache.r6g.xlarge"), false);
            assert.equal(usesDataTiering("cache.r7g.large"), false);
            assert.equal(usesDataTiering("cache.m6g.large"), false);
        });
    });

    describe("clusterParameterGroup", () => {
        it("names the default cluster-mode group of each engine family", () => {
            assert.equal(clusterParameterGroup("valkey", "7.2"), "default.valkey7.cluster.on");
            assert.equal(clusterParameterGroup("valkey", "8.0"), "default.valkey8.cluster.on");
            assert.equal(clusterParameterGroup("redis", "7.1"), "default.redis7.cluster.on");
            assert.equal(clusterParameterGroup("redis", "6.2"), "default.redis6.x.cluster.on");
            assert.equal(clusterParameterGroup("redis", "5.0.6"), "default.redis5.0.cluster.on");
        });

        it("shares a group across minor versions of a family", () => {
            assert.equal(clusterParameterGroup("valkey", "8.1"), "default.valkey8.cluster.on");
            assert.equal(clusterParameterGroup("redis", "7.0"), "default.redis7.cluster.on");
            assert.equal(clusterParameterGroup("redis", "6.0"), "default.redis6.x.cluster.on");
        });

        it("throws on a version it cannot parse", () => {
            assert.throws(() => clusterParameterGroup("redis", "6.x"), /invalid engine version "6\.x"/);
        });
    });
});

describe("window rules", () => {
    describe("parseSnapshotWindow", () => {
        it("parses a daily window into its start and length in minutes", () => {
            assert.deepEqual(parseSnapshotWindow("03:00-05:00"), { start: 180, minutes: 120 });
            assert.deepEqual(parseSnapshotWindow("00:00-01:00"), { start: 0, minutes: 60 });
        });

        it("parses a window across midnight", () => {
            assert.deepEqual(parseSnapshotWindow("23:30-00:30"), { start: 23 * 60 + 30, minutes: 60 });
        });

        it("rejects a window shorter than 60 minutes", () => {
            assert.equal(parseSnapshotWindow("03:00-03:59"), "lasts 59 minutes; a snapshot window must last at least 60 minutes");
            assert.equal(parseSnapshotWindow("23:45-00:15"), "lasts 30 minutes; a snapshot window must last at least 60 minutes");
        });

        it("reads equal start and end as an empty window, not a whole day", () => {
            assert.equal(parseSnapshotWindow("03:00-03:00"), "lasts 0 minutes; a snapshot window must last at least 60 minutes");
        });

        it("has no upper limit short of a day", () => {
            assert.deepEqual(parseSnapshotWindow("03:00-02:59"), { start: 180, minutes: DAY - 1 });
        });

        it("rejects malformed text", () => {
            for (const text of ["3-5", "03:00", "03:00-05:00-07:00", "24:00-01:00", "03:60-05:00", "3:00-5:00", "03:00 - 05:00", "sun:03:00-sun:05:00", ""]) {
                assert.equal(parseSnapshotWindow(text), "is not a daily window of the form hh:mm-hh:mm (UTC), for example 03:00-05:00", text);
            }
        });
    });

    describe("parseMaintenanceWindow", () => {
        it("parses a weekly window into minutes from Sunday 00:00", () => {
            assert.deepEqual(parseMaintenanceWindow("sun:06:00-sun:07:00"), { start: 360, end: 420 });
            assert.deepEqual(parseMaintenanceWindow("wed:22:00-thu:02:00"), { start: 3 * DAY + 22 * 60, end: 4 * DAY + 2 * 60 });
        });

        it("parses a window across the end of the week with an end past the week", () => {
            assert.deepEqual(parseMaintenanceWindow("sat:23:30-sun:00:30"), { start: 6 * DAY + 23 * 60 + 30, end: WEEK + 30 });
        });

        it("accepts day names in any case", () => {
            assert.deepEqual(parseMaintenanceWindow("SUN:06:00-Sun:07:00"), { start: 360, end: 420 });
        });

        it("accepts exactly 60 minutes and exactly 24 hours", () => {
            assert.deepEqual(parseMaintenanceWindow("mon:00:00-mon:01:00"), { start: DAY, end: DAY + 60 });
            assert.deepEqual(parseMaintenanceWindow("sun:06:00-mon:06:00"), { start: 360, end: 360 + DAY });
        });

        it("rejects a window shorter than 60 minutes", () => {
            assert.equal(parseMaintenanceWindow("sun:06:00-sun:06:30"), "lasts 30 minutes; a maintenance window must last from 60 minutes to 24 hours");
            assert.equal(parseMaintenanceWindow("sun:06:00-sun:06:00"), "lasts 0 minutes; a maintenance window must last from 60 minutes to 24 hours");
        });

        it("rejects a window longer than 24 hours", () => {
            assert.equal(parseMaintenanceWindow("sun:06:00-mon:07:00"), "lasts 1500 minutes; a maintenance window must last from 60 minutes to 24 hours");
            assert.equal(parseMaintenanceWindow("sun:07:00-sun:06:00"), `lasts ${WEEK - 60} minutes; a maintenance window must last from 60 minutes to 24 hours`);
        });

        it("rejects malformed text", () => {
            for (const text of [
                "sunday 06:00", "sun:6:00-sun:7:00", "xyz:06:00-xyz:07:00", "sun:25:00-sun:26:00", "sun:06:60-sun:07:00",
                "sun:06:00", "06:00-07:00", "sun:06:00-sun:07:00 ", "",
            ]) {
                assert.equal(parseMaintenanceWindow(text),
                    "is not a weekly window of the form ddd:hh:mm-ddd:hh:mm (UTC, days sun..sat), for example sun:06:00-sun:07:00", text);
            }
        });
    });

    describe("windowsOverlap", () => {
        it("is false for the default windows", () => {
            assert.equal(windowsOverlap(snapshot("03:00-05:00"), maintenance("sun:06:00-sun:07:00")), false);
        });

        it("is true when the daily window overlaps maintenance on its day", () => {
            assert.equal(windowsOverlap(snapshot("05:30-06:30"), maintenance("sun:06:00-sun:07:00")), true);
            assert.equal(windowsOverlap(snapshot("06:15-07:15"), maintenance("wed:06:00-wed:07:00")), true);
            assert.equal(windowsOverlap(snapshot("00:00-23:00"), maintenance("fri:10:00-fri:11:00")), true);
        });

        it("treats windows as half-open: touching is not overlapping", () => {
            assert.equal(windowsOverlap(snapshot("05:00-06:00"), maintenance("sun:06:00-sun:07:00")), false);
            assert.equal(windowsOverlap(snapshot("07:00-08:00"), maintenance("sun:06:00-sun:07:00")), false);
        });

        it("is true when the snapshot window wraps past midnight into maintenance", () => {
            assert.equal(windowsOverlap(snapshot("23:30-00:30"), maintenance("mon:00:00-mon:01:00")), true);
        });

        it("is true when Saturday's snapshot wraps into Sunday's maintenance across the week boundary", () => {
            assert.equal(windowsOverlap(snapshot("23:30-00:30"), maintenance("sun:00:00-sun:01:00")), true);
        });

        it("is true when maintenance wraps across the week boundary onto the snapshot", () => {
            assert.equal(windowsOverlap(snapshot("00:30-01:30"), maintenance("sat:23:00-sun:01:00")), true);
            assert.equal(windowsOverlap(snapshot("22:00-23:00"), maintenance("sat:23:00-sun:01:00")), false);
        });
    });
});

describe("network rules", () => {
    describe("parseCidr", () => {
        it("parses a network address and prefix", () => {
            assert.deepEqual(parseCidr("10.0.0.0/16"), { base: 10 * 2 ** 24, prefix: 16 });
            assert.deepEqual(parseCidr("192.168.1.0/24"), { base: ((192 * 256 + 168) * 256 + 1) * 256, prefix: 24 });
            assert.deepEqual(parseCidr("255.255.255.255/32"), { base: 2 ** 32 - 1, prefix: 32 });
            assert.deepEqual(parseCidr("0.0.0.0/0"), { base: 0, prefix: 0 });
        });

        it("rejects host bits", () => {
            assert.equal(parseCidr("10.0.0.1/16"), undefined);
            assert.equal(parseCidr("10.100.64.0/17"), undefined);
            assert.equal(parseCidr("10.100.128.0/17") !== undefined, true);
        });

        it("rejects a prefix over 32", () => {
            assert.equal(parseCidr("10.0.0.0/33"), undefined);
            assert.equal(parseCidr("10.0.0.0/99"), undefined);
        });

        it("rejects bad octets", () => {
            assert.equal(parseCidr("256.0.0.0/8"), undefined);
            assert.equal(parseCidr("10.300.0.0/16"), undefined);
            assert.equal(parseCidr("10.0.0.1000/32"), undefined);
            assert.equal(parseCidr("-1.0.0.0/8"), undefined);
        });

        it("rejects text that is not a dotted IPv4 CIDR", () => {
            for (const text of ["10.0.0/16", "10.0.0.0", "10.0.0.0/", "10/8", "::/0", "2001:db8::/32", "10.0.0.0/16 ", ""]) {
                assert.equal(parseCidr(text), undefined, text);
            }
        });

        it("round-trips through formatCidr", () => {
            for (const text of ["10.100.0.0/16", "172.16.32.0/20", "0.0.0.0/0", "255.255.255.255/32"]) {
                const parsed = parseCidr(text);
                assert.ok(parsed, text);
                assert.equal(formatCidr(parsed), text);
            }
        });
    });

    describe("subnetCidr", () => {
        it("carves the index-th block of the requested size", () => {
            assert.equal(subnetCidr("10.0.0.0/16", 24, 0), "10.0.0.0/24");
            assert.equal(subnetCidr("10.0.0.0/16", 24, 255), "10.0.255.0/24");
        });

        it("throws when the block does not fit", () => {
            assert.throws(() => subnetCidr("10.0.0.0/16", 24, 256), /has no room for subnet 256/);
            assert.throws(() => subnetCidr("10.0.0.0/16", 8, 0), /cannot carve \/8 subnets out of 10\.0\.0\.0\/16/);
            assert.throws(() => subnetCidr("10.0.0.0/16", 33, 0), /cannot carve/);
            assert.throws(() => subnetCidr("10.0.0.1/16", 24, 0), /cannot carve/);
        });
    });

    describe("privateSubnetCidrs", () => {
        it("gives each subnet a quarter of the VPC", () => {
            assert.deepEqual(privateSubnetCidrs("10.100.0.0/16", 3), ["10.100.0.0/18", "10.100.64.0/18", "10.100.128.0/18"]);
            assert.deepEqual(privateSubnetCidrs("10.102.0.0/16", 3), ["10.102.0.0/18", "10.102.64.0/18", "10.102.128.0/18"]);
            assert.deepEqual(privateSubnetCidrs("192.168.4.0/24", 3), ["192.168.4.0/26", "192.168.4.64/26", "192.168.4.128/26"]);
        });

        it("has room for four subnets and no more", () => {
            assert.equal(privateSubnetCidrs("10.100.0.0/16", 4)[3], "10.100.192.0/18");
            assert.throws(() => privateSubnetCidrs("10.100.0.0/16", 5), /no room/);
        });

        it("throws on an invalid VPC CIDR", () => {
            assert.throws(() => privateSubnetCidrs("10.100.0.1/16", 3), /invalid CIDR 10\.100\.0\.1\/16/);
        });
    });

    describe("isOpenToWorld", () => {
        it("is true for any block with a /0 prefix, however spelled", () => {
            for (const cidr of ["0.0.0.0/0", "::/0", "0::/0", "0:0:0:0:0:0:0:0/0", "0.0.0.0/00"]) {
                assert.equal(isOpenToWorld(cidr), true, cidr);
            }
        });

        it("is false for narrower blocks", () => {
            for (const cidr of ["10.0.0.0/8", "0.0.0.0/1", "10.0.0.0/16", "2001:db8::/32", "::/1", "10.0.0.0/10"]) {
                assert.equal(isOpenToWorld(cidr), false, cidr);
            }
        });
    });
});
