import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Plans", path: "/plans", order: 30 },
  requires: "Query.plans",
  routes: [{ path: "/plans", component: lazy(() => import("./Plans")) }],
});
