import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Logs", path: "/logs", order: 100 },
  requires: "Query.logs",
  routes: [{ path: "/logs", component: lazy(() => import("./Logs")) }],
});
