// The JavaScript of the first screen, gzipped, from the build's manifest: the entry chunk,
// everything it imports statically, and the lazy chunks of the screens a first visit shows
// (sign-in for a visitor; after signing in, the dashboard for a master, the users list for a
// session admin). Fails above the budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 250 * 1024;
const FIRST_SCREENS = [
  "src/screens/sign-in/SignIn.tsx",
  "src/screens/dashboard/Dashboard.tsx",
  "src/screens/users/UsersList.tsx",
];
const dist = new URL("../dist/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL(".vite/manifest.json", dist), "utf8"));

const files = new Set();
function visit(key) {
  const chunk = manifest[key];
  if (!chunk) throw new Error(`not in the build manifest: ${key}`);
  if (files.has(chunk.file)) return;
  files.add(chunk.file);
  for (const imported of chunk.imports ?? []) visit(imported);
}
const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
visit(entry);
for (const screen of FIRST_SCREENS) visit(screen);

let total = 0;
for (const file of [...files].filter((name) => name.endsWith(".js"))) {
  const size = gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length;
  total += size;
  console.log(`  ${file}  ${(size / 1024).toFixed(1)} KB gzipped`);
}
const verdict = total <= BUDGET ? "within" : "OVER";
console.log(
  `first screen: ${(total / 1024).toFixed(1)} KB of JavaScript gzipped, ${verdict} the ${BUDGET / 1024} KB budget`,
);
if (total > BUDGET) process.exit(1);
