import { describe, expect, it } from "vitest";
import { classifyPhoneButtonDetail, maskPhoneNumber, PHONE_QUOTA_EXHAUSTED_ERRNO } from "../src/services/phone-number";

describe("maskPhoneNumber", () => {
  it("keeps the first 3 and last 4 digits of a mainland number", () => {
    expect(maskPhoneNumber("13800138000")).toBe("138****8000");
    expect(maskPhoneNumber("139 1234 5678")).toBe("139****5678");
  });

  it("applies the same rule after the + of an international number", () => {
    expect(maskPhoneNumber("+85291234567")).toBe("+852****4567");
    expect(maskPhoneNumber("+1-415-555-0100")).toBe("+141****0100");
    expect(maskPhoneNumber("+85212345")).toBe("+****2345");
  });

  it("never shows short numbers almost whole", () => {
    expect(maskPhoneNumber("12345678")).toBe("****5678");
    expect(maskPhoneNumber("1234")).toBe("****");
    expect(maskPhoneNumber("")).toBe("****");
  });
});

describe("classifyPhoneButtonDetail", () => {
  it("prefers the code when the button gives one", () => {
    expect(
      classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:ok", code: "c0de", encryptedData: "ZW5j", iv: "aXY=" }),
    ).toEqual({ kind: "code", code: "c0de" });
  });

  it("falls back to encryptedData + iv only without a code", () => {
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:ok", encryptedData: "ZW5j", iv: "aXY=" })).toEqual({
      kind: "encrypted-data",
      encryptedData: "ZW5j",
      iv: "aXY=",
    });
    expect(
      classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:ok", code: "", encryptedData: "ZW5j", iv: "aXY=" }),
    ).toMatchObject({
      kind: "encrypted-data",
    });
    // Half of the legacy pair is no pair.
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:ok", encryptedData: "ZW5j" })).toMatchObject({
      kind: "failed",
    });
  });

  it("recognises the user refusing, whatever the wording", () => {
    for (const errMsg of [
      "getPhoneNumber:fail user deny",
      "getPhoneNumber:fail:user deny",
      "getPhoneNumber:fail cancel",
    ]) {
      expect(classifyPhoneButtonDetail({ errMsg })).toEqual({ kind: "refused" });
    }
  });

  it("recognises a refused privacy consent apart from a refused number", () => {
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:fail privacy permission is not authorized" })).toEqual({
      kind: "privacy-refused",
    });
  });

  it("recognises the exhausted quota by errno 1400001, as a number or a string", () => {
    expect(PHONE_QUOTA_EXHAUSTED_ERRNO).toBe(1400001);
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:fail quota", errno: 1400001 })).toEqual({
      kind: "quota-exhausted",
    });
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:fail", errno: "1400001" })).toEqual({
      kind: "quota-exhausted",
    });
    // The errno wins even over an errMsg that would read as a refusal.
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:fail user deny", errno: 1400001 })).toEqual({
      kind: "quota-exhausted",
    });
  });

  it("reports other failures with WeChat's text", () => {
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:fail no permission", errno: 112 })).toEqual({
      kind: "failed",
      errMsg: "getPhoneNumber:fail no permission",
      errno: 112,
    });
    expect(classifyPhoneButtonDetail(undefined)).toEqual({ kind: "failed", errMsg: "", errno: undefined });
    expect(classifyPhoneButtonDetail({ errMsg: "getPhoneNumber:ok" })).toMatchObject({ kind: "failed" });
  });
});
