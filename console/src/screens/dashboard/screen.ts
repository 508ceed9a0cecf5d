import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Dashboard", path: "/dashboard", order: 5 },
  requires: "Query.metrics",
  routes: [{ path: "/dashboard", component: lazy(() => import("./Dashboard")) }],
});
