// Decodes status documents as JavaScript does: JSON.parse, then new Date(last_check), which
// must not be NaN; drift_count must be the integer written (a safe integer: it round-trips).
//
// Usage: node decode.js DIR. Prints, per DIR/*.json in name order, "NAME MILLIS DRIFT" or
// "NAME ERROR why".
"use strict";
const fs = require("fs");
const path = require("path");

const dir = process.argv[2];
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
  } catch (e) {
    console.log(`${name} ERROR JSON.parse: ${e.message}`);
    continue;
  }
  const t = new Date(doc.last_check);
  if (Number.isNaN(t.getTime())) {
    console.log(`${name} ERROR new Date(${JSON.stringify(doc.last_check)}) is Invalid Date`);
    continue;
  }
  if (!Number.isSafeInteger(doc.drift_count)) {
    console.log(`${name} ERROR drift_count ${doc.drift_count} is not a safe integer`);
    continue;
  }
  // -0 is 0 (Object.is would tell them apart; JSON cannot write -0 back).
  console.log(`${name} ${t.getTime()} ${JSON.stringify(doc.drift_count)}`);
}
