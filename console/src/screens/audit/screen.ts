import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Audit log", path: "/audit", order: 80 },
  requires: "Query.auditEvents",
  routes: [{ path: "/audit", component: lazy(() => import("./AuditLog")) }],
});
