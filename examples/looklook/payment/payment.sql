-- looklook_payment: one record per pre-pay with a third party (WeChat Pay).
-- Money is in cents.
-- tinyint(1) columns read as booleans; counts and states are plain tinyint
-- (the original's tinyint(1) for them would turn 4 guests into `true`).

CREATE TABLE `third_payment` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `sn` char(25) NOT NULL DEFAULT '' COMMENT 'the payment number (PMT...)',
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint(1) NOT NULL DEFAULT '0',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  `user_id` bigint NOT NULL DEFAULT '0',
  `pay_mode` varchar(20) NOT NULL DEFAULT '' COMMENT 'WECHAT_PAY',
  `trade_type` varchar(20) NOT NULL DEFAULT '' COMMENT 'the third party trade type: JSAPI, ...',
  `trade_state` varchar(20) NOT NULL DEFAULT '' COMMENT 'the third party trade state: SUCCESS, NOTPAY, ...',
  `pay_total` bigint NOT NULL DEFAULT '0',
  `transaction_id` char(32) NOT NULL DEFAULT '' COMMENT 'the WeChat transaction id',
  `trade_state_desc` varchar(256) NOT NULL DEFAULT '',
  `order_sn` char(25) NOT NULL DEFAULT '' COMMENT 'the order it pays for',
  `service_type` varchar(32) NOT NULL DEFAULT '' COMMENT 'homestayOrder',
  `pay_status` tinyint NOT NULL DEFAULT '0' COMMENT '-1 failed, 0 unpaid, 1 paid, 2 refunded',
  `pay_time` datetime NOT NULL DEFAULT '1970-01-01 08:00:00' COMMENT 'when it was paid',
  `trace_parent` varchar(64) NOT NULL DEFAULT '' COMMENT 'the W3C traceparent of the step WeChat answers later: the pre-pay (given back as attach), then the refund',
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_sn` (`sn`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='third-party payment records';
