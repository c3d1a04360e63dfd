import { describe, expect, it } from "vitest";
import {
  createPrivacyConsent,
  DEFAULT_PRIVACY_CONTRACT_NAME,
  type PrivacyApi,
  type PrivacyListener,
  type PrivacyResolve,
} from "../src/services/privacy-consent";

/**
 * A scripted stand-in for WeChat's privacy API: it records the registered listener, lets a test
 * fire it like a tap on chooseAvatar would, and records every answer given to each trigger.
 */
function fakeWechat(options: { contractName?: string; settingFails?: boolean; resolveThrows?: boolean } = {}) {
  const listeners: PrivacyListener[] = [];
  const contractOpenings: unknown[] = [];
  let settingCalls = 0;
  let pendingSetting: (() => void) | undefined;
  const api: Required<PrivacyApi> = {
    onNeedPrivacyAuthorization: (listener) => void listeners.push(listener),
    getPrivacySetting: ({ success, fail }) => {
      settingCalls++;
      // Asynchronous like WeChat: the test decides when the answer arrives.
      pendingSetting = () =>
        options.settingFails
          ? fail?.({ errMsg: "getPrivacySetting:fail" })
          : success?.({
              needAuthorization: true,
              privacyContractName: options.contractName ?? "《示例小程序隐私保护指引》",
            });
    },
    openPrivacyContract: (callbacks) => void contractOpenings.push(callbacks),
  };
  /** Fires the registered listener; returns the answers given to this trigger. */
  function trigger(referrer: string) {
    const answers: Parameters<PrivacyResolve>[0][] = [];
    const resolve: PrivacyResolve = (option) => {
      answers.push(option);
      if (options.resolveThrows) throw new Error("resolve is broken");
    };
    const listener = listeners.at(-1);
    if (!listener) throw new Error("no listener registered");
    listener(resolve, { referrer });
    return answers;
  }
  return {
    api,
    listeners,
    trigger,
    contractOpenings,
    settingCalls: () => settingCalls,
    answerSetting: () => pendingSetting?.(),
  };
}

function setup(options: Parameters<typeof fakeWechat>[0] = {}) {
  const wechat = fakeWechat(options);
  const reports: string[] = [];
  const consent = createPrivacyConsent(wechat.api, (message) => void reports.push(message));
  return { wechat, consent, reports };
}

/** A mounted popup: subscribes and counts notifications. */
function mountPopup(consent: ReturnType<typeof createPrivacyConsent>) {
  let renders = 0;
  const unsubscribe = consent.subscribe(() => renders++);
  return { unsubscribe, renders: () => renders };
}

describe("privacy consent", () => {
  it("registers one listener with WeChat, however often it is started", () => {
    const { wechat, consent } = setup();
    expect(consent.start()).toBe(true);
    expect(consent.start()).toBe(true);
    expect(wechat.listeners).toHaveLength(1);
    expect(consent.getState()).toEqual({ status: "idle" });
  });

  it("does nothing where the API is missing (old base library, H5)", () => {
    const consent = createPrivacyConsent({});
    expect(consent.start()).toBe(false);
    mountPopup(consent);
    consent.agree("privacy-agree");
    consent.disagree();
    consent.exposed();
    consent.openContract();
    expect(consent.getState()).toEqual({ status: "idle" });
  });

  it("shows the popup while WeChat waits, then answers agree with the button's id", () => {
    const { wechat, consent } = setup();
    consent.start();
    const popup = mountPopup(consent);

    const answers = wechat.trigger("button.chooseAvatar");
    expect(consent.getState()).toEqual({
      status: "asking",
      contractName: DEFAULT_PRIVACY_CONTRACT_NAME,
      referrers: ["button.chooseAvatar"],
    });
    expect(popup.renders()).toBe(1);
    expect(answers).toEqual([]);

    consent.agree("privacy-agree");
    expect(answers).toEqual([{ event: "agree", buttonId: "privacy-agree" }]);
    expect(consent.getState()).toEqual({ status: "idle" });
    expect(popup.renders()).toBe(2);

    // A late second tap on the button answers nothing twice.
    consent.agree("privacy-agree");
    consent.disagree();
    expect(answers).toHaveLength(1);
  });

  it("answers disagree when refused, and asks again at the next trigger", () => {
    const { wechat, consent } = setup();
    consent.start();
    mountPopup(consent);

    const first = wechat.trigger("button.getPhoneNumber");
    consent.disagree();
    expect(first).toEqual([{ event: "disagree" }]);
    expect(consent.getState()).toEqual({ status: "idle" });

    const retry = wechat.trigger("button.getPhoneNumber");
    expect(consent.getState()).toMatchObject({ status: "asking", referrers: ["button.getPhoneNumber"] });
    consent.agree("privacy-agree");
    expect(retry).toEqual([{ event: "agree", buttonId: "privacy-agree" }]);
    expect(first).toHaveLength(1);
  });

  it("queues several triggers and settles each exactly once with one answer", () => {
    const { wechat, consent } = setup();
    consent.start();
    mountPopup(consent);

    const avatar = wechat.trigger("button.chooseAvatar");
    const nickname = wechat.trigger("input.nickname");
    expect(consent.getState()).toMatchObject({ referrers: ["button.chooseAvatar", "input.nickname"] });

    consent.agree("privacy-agree");
    expect(avatar).toEqual([{ event: "agree", buttonId: "privacy-agree" }]);
    expect(nickname).toEqual([{ event: "agree", buttonId: "privacy-agree" }]);
  });

  it("reports the popup as seen once per pending trigger, before the answer", () => {
    const { wechat, consent } = setup();
    consent.start();
    mountPopup(consent);

    const first = wechat.trigger("button.chooseAvatar");
    consent.exposed();
    consent.exposed();
    const second = wechat.trigger("button.getPhoneNumber");
    consent.exposed();
    consent.disagree();

    expect(first).toEqual([{ event: "exposureAuthorization" }, { event: "disagree" }]);
    expect(second).toEqual([{ event: "exposureAuthorization" }, { event: "disagree" }]);
  });

  it("names the guide configured in the admin console once getPrivacySetting answers", () => {
    const { wechat, consent } = setup({ contractName: "《我的账号隐私保护指引》" });
    consent.start();
    mountPopup(consent);

    wechat.trigger("button.chooseAvatar");
    wechat.trigger("input.nickname");
    // Asked once for the popup, not once per trigger.
    expect(wechat.settingCalls()).toBe(1);
    expect(consent.getState()).toMatchObject({ contractName: DEFAULT_PRIVACY_CONTRACT_NAME });
    wechat.answerSetting();
    expect(consent.getState()).toMatchObject({ status: "asking", contractName: "《我的账号隐私保护指引》" });
  });

  it("keeps the default name when getPrivacySetting fails", () => {
    const { wechat, consent, reports } = setup({ settingFails: true });
    consent.start();
    mountPopup(consent);
    wechat.trigger("button.chooseAvatar");
    wechat.answerSetting();
    expect(consent.getState()).toMatchObject({ status: "asking", contractName: DEFAULT_PRIVACY_CONTRACT_NAME });
    expect(reports).toEqual(["getPrivacySetting failed"]);
  });

  it("refuses at once when no popup is mounted, so the API fails instead of hanging", () => {
    const { wechat, consent, reports } = setup();
    consent.start();
    const answers = wechat.trigger("button.chooseAvatar");
    expect(answers).toEqual([{ event: "disagree" }]);
    expect(consent.getState()).toEqual({ status: "idle" });
    expect(reports).toHaveLength(1);
  });

  it("refuses what is pending when the last popup goes away (its page was closed)", () => {
    const { wechat, consent } = setup();
    consent.start();
    const first = mountPopup(consent);
    const second = mountPopup(consent);
    const answers = wechat.trigger("button.getPhoneNumber");

    first.unsubscribe();
    expect(answers).toEqual([]);
    second.unsubscribe();
    expect(answers).toEqual([{ event: "disagree" }]);
    expect(consent.getState()).toEqual({ status: "idle" });
  });

  it("answers every trigger even when WeChat's resolve throws", () => {
    const { wechat, consent, reports } = setup({ resolveThrows: true });
    consent.start();
    mountPopup(consent);
    const first = wechat.trigger("button.chooseAvatar");
    const second = wechat.trigger("input.nickname");
    expect(() => consent.agree("privacy-agree")).not.toThrow();
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(consent.getState()).toEqual({ status: "idle" });
    expect(reports).toEqual(["privacy resolve(agree) failed", "privacy resolve(agree) failed"]);
  });

  it("opens the privacy guide through WeChat", () => {
    const { wechat, consent } = setup();
    consent.openContract();
    expect(wechat.contractOpenings).toHaveLength(1);
  });
});
