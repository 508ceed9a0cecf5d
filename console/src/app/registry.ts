import type { Screen } from "./screen";

const modules = import.meta.glob<{ default: Screen }>("../screens/*/screen.ts", { eager: true });

export const SCREENS: readonly Screen[] = Object.values(modules).map((module) => module.default);
