import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Settings", path: "/settings", order: 95 },
  requires: "Query.settings",
  routes: [{ path: "/settings", component: lazy(() => import("./Settings")) }],
});
