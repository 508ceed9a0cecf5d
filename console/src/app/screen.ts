// What a screen folder declares in its `screen.ts`: the console finds every
// src/screens/*/screen.ts at build time (import.meta.glob), so adding a screen edits nothing
// shared. Components are lazy: each screen is its own chunk, loaded when first shown.
import type { ComponentType, LazyExoticComponent } from "react";

export interface ScreenRoute {
  /** Under the console's base (/console), wouter syntax: "/users/:id". */
  path: string;
  component: LazyExoticComponent<ComponentType<{ params: Record<string, string | undefined> }>>;
}

export interface Screen {
  routes: readonly ScreenRoute[];
  /** An entry of the side navigation, if the screen has one. */
  nav?: { label: string; path: string; order: number };
  /** The schema field the screen is built on ("Query.auditEvents"): hidden when not allowed. */
  requires?: string;
  /** Reachable without signing in (sign-in and the pages people reach from a mail). */
  public?: boolean;
  /** Shown without the navigation and banner (full-page forms). */
  bare?: boolean;
}

export function defineScreen(screen: Screen): Screen {
  return screen;
}
