/**
 * The CrossGuard pack. This file only constructs it: constructing a PolicyPack starts the analyzer
 * server, so tests import the rules from rules.ts and never this file.
 *
 *   pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json
 */
import { PolicyPack } from "@pulumi/policy";
import { decodePropertiesOnce } from "./lib/decode-once";
import { PACK_ENFORCEMENT_LEVEL } from "./lib/levels";
import { ALL_POLICIES, PACK_NAME } from "./rules";

decodePropertiesOnce();

new PolicyPack(PACK_NAME, {
    policies: ALL_POLICIES,
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
});
