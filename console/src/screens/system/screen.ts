import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "System", path: "/system", order: 115 },
  requires: "Query.system",
  routes: [{ path: "/system", component: lazy(() => import("./System")) }],
});
