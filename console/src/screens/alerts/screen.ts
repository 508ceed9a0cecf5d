import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Alerts", path: "/alerts", order: 110 },
  requires: "Query.alerts",
  routes: [{ path: "/alerts", component: lazy(() => import("./Alerts")) }],
});
