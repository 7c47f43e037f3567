// The generated TypeScript client, driven against the running reference
// system as a web or mini-program front end would: sign up, browse, book,
// read the order back, and the two refusals a client must handle.
// Compiled with the client by the end-to-end test and run with Node.

import { ApiError, wxTransport } from './looklook.js';
import type { WxLike } from './looklook.js';
import { OrderClient } from './order.js';
import { TravelClient } from './travel.js';
import { UsercenterClient } from './usercenter.js';

// Node's globals, declared here so the client needs no @types package.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };
declare const fetch: (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * A mini-program's `wx.request`, played by Node's fetch the way WeChat
 * behaves with `dataType: 'text'`: the body handed over as text.
 */
const wx: WxLike = {
  request(options) {
    fetch(options.url, { method: options.method, headers: options.header, body: options.data })
      .then(async (res) => options.success({ statusCode: res.status, data: await res.text() }))
      .catch((e: unknown) => options.fail({ errMsg: String(e) }));
  },
};

/** Through the gateway when there is one, as a front end goes. */
function url(name: string): string {
  const addr = process.env.GATEWAY_ADDR ?? process.env[name];
  if (addr === undefined) throw new Error(`${name} is not set`);
  return `http://${addr}`;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`failed: ${what}`);
}

/** The typed error a refused call throws. */
async function refused(call: () => Promise<unknown>): Promise<ApiError> {
  try {
    await call();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('the call was answered; it should have been refused');
}

async function main(): Promise<void> {
  const users = new UsercenterClient({ baseUrl: url('USERCENTER_API_ADDR') });
  const travel = new TravelClient({ baseUrl: url('TRAVEL_API_ADDR') });
  const orders = new OrderClient({ baseUrl: url('ORDER_API_ADDR') });

  const mobile = `138${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await users.register({ mobile, password: 'typescript-walk' });
  const login = await users.login({ mobile, password: 'typescript-walk' });
  console.log(`login: a token of ${login.accessToken.length} characters`);

  // Without the token: 401 with code 100003, as a typed error.
  const noToken = await refused(() => users.detail({}));
  check(noToken.status === 401 && noToken.code === 100003, `401 ${noToken.code}`);
  console.log(`detail without a token: ${noToken.status} ${noToken.code}`);

  for (const client of [users, orders]) client.setToken(login.accessToken);
  const me = await users.detail({});
  check(me.userInfo.mobile === mobile, `detail ${me.userInfo.mobile}`);
  console.log(`detail: ${me.userInfo.mobile}`);

  const list = await travel.homestayList({ page: 1, pageSize: 5 });
  check(list.list.length > 0, 'homestays listed');
  const pick = list.list[0];
  console.log(`homestayList: ${list.list.length}, first ${pick.title}`);
  const detail = await travel.homestayDetail({ id: pick.id });
  check(detail.homestay.id === pick.id, 'homestayDetail');

  // The same call as a mini-program makes it, through wx.request.
  const mini = new TravelClient({ baseUrl: url('TRAVEL_API_ADDR'), transport: wxTransport(wx) });
  const again = await mini.homestayDetail({ id: pick.id });
  check(again.homestay.title === pick.title, 'homestayDetail through wx.request');
  console.log(`homestayDetail through wx.request: ${again.homestay.title}`);

  const noon = (days: number) => {
    const d = new Date();
    d.setUTCHours(4, 0, 0, 0);
    return Math.floor(d.getTime() / 1000) + days * 86400;
  };
  const booked = await orders.createHomestayOrder({
    homestayId: pick.id,
    isFood: false,
    // Nights no other order of the test holds: a night is sold once.
    liveStartTime: noon(40),
    liveEndTime: noon(41),
    livePeopleNum: 1,
    remark: 'booked through the TypeScript client',
  });
  const order = await orders.userHomestayOrderDetail({ sn: booked.orderSn });
  check(order.sn === booked.orderSn && order.homestayId === pick.id, 'order read back');
  console.log(`order: ${order.sn}, ${order.orderTotalPrice} cents`);

  // A bad parameter: 400 with code 100002, as a typed error.
  const bad = await refused(() =>
    orders.userHomestayOrderList({ lastId: 0, pageSize: 0, tradeState: -99 }),
  );
  check(bad.status === 400 && bad.code === 100002, `400 ${bad.code}`);
  console.log(`a page of 0 orders: ${bad.status} ${bad.code}`);
}

main().then(
  () => console.log('typescript walk: done'),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
