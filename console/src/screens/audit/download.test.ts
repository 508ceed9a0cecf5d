import { describe, expect, it } from "vitest";
import { sameOrigin } from "./download";

describe("sameOrigin", () => {
  it("keeps the signed path and query on the console's origin", () => {
    expect(
      sameOrigin(
        "http://127.0.0.1:8000/exports/audit.csv?start_date=2026-12-01&end_date=2026-12-31&expires=1&signature=a%2Bb",
        "https://admin.example.com",
      ),
    ).toBe(
      "https://admin.example.com/exports/audit.csv?start_date=2026-12-01&end_date=2026-12-31&expires=1&signature=a%2Bb",
    );
  });

  it("takes a relative link as it is", () => {
    expect(sameOrigin("/exports/audit.csv?x=1", "http://localhost:5173")).toBe(
      "http://localhost:5173/exports/audit.csv?x=1",
    );
  });
});
