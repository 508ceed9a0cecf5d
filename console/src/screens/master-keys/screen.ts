import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Master keys", path: "/master-keys", order: 90 },
  requires: "Query.masterKeys",
  routes: [{ path: "/master-keys", component: lazy(() => import("./MasterKeys")) }],
});
