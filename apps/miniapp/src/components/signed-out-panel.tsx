import { Button, Text, View } from "@tarojs/components";
import Taro from "@tarojs/taro";

/** Shown by pages below Home when the user logged out meanwhile: Home is where one logs in again. */
export function SignedOutPanel({ id }: { id: string }) {
  return (
    <View className="page">
      <View id={id} className="panel">
        <Text className="status-text">你已退出登录</Text>
        <Button id="back-home" className="button" onClick={() => void Taro.reLaunch({ url: "/pages/home/index" })}>
          返回首页
        </Button>
      </View>
    </View>
  );
}
