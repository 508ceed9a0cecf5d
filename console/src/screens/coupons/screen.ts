import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Coupons", path: "/coupons", order: 35 },
  requires: "Query.coupons",
  routes: [{ path: "/coupons", component: lazy(() => import("./Coupons")) }],
});
