import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Users", path: "/users", order: 10 },
  requires: "Query.users",
  routes: [
    { path: "/users", component: lazy(() => import("./UsersList")) },
    { path: "/users/:id", component: lazy(() => import("./UserDetail")) },
  ],
});
