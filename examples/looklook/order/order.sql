-- looklook_order: homestay orders. An order keeps a snapshot of the
-- homestay as it was booked. Money is in cents.
-- tinyint(1) columns read as booleans; counts and states are plain tinyint
-- (the original's tinyint(1) for them would turn 4 guests into `true`).

CREATE TABLE `homestay_order` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  `sn` char(25) NOT NULL DEFAULT '' COMMENT 'the order number (HSO...)',
  `user_id` bigint NOT NULL DEFAULT '0' COMMENT 'the guest',
  `homestay_id` bigint NOT NULL DEFAULT '0',
  `title` varchar(32) NOT NULL DEFAULT '',
  `sub_title` varchar(128) NOT NULL DEFAULT '',
  `cover` varchar(1024) NOT NULL DEFAULT '' COMMENT 'the first banner image',
  `info` varchar(4069) NOT NULL DEFAULT '',
  `people_num` tinyint NOT NULL DEFAULT '0' COMMENT 'how many guests it takes',
  `row_type` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 priced per room, 1 per person',
  `need_food` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 no meals, 1 meals',
  `food_info` varchar(1024) NOT NULL DEFAULT '',
  `food_price` bigint NOT NULL COMMENT 'meals, per person per day, in cents',
  `homestay_price` bigint NOT NULL COMMENT 'per night, in cents',
  `market_homestay_price` bigint NOT NULL DEFAULT '0',
  `homestay_business_id` bigint NOT NULL DEFAULT '0' COMMENT 'the shop',
  `homestay_user_id` bigint NOT NULL DEFAULT '0' COMMENT 'the landlord',
  `live_start_date` date NOT NULL COMMENT 'check-in',
  `live_end_date` date NOT NULL COMMENT 'check-out',
  `live_people_num` tinyint NOT NULL DEFAULT '0' COMMENT 'how many guests come',
  `trade_state` tinyint NOT NULL DEFAULT '0' COMMENT '-1 cancelled, 0 waiting for payment, 1 paid, 2 used, 3 refunded, 4 expired',
  `trade_code` char(8) NOT NULL DEFAULT '' COMMENT 'the code the guest shows on arrival',
  `remark` varchar(64) NOT NULL DEFAULT '',
  `order_total_price` bigint NOT NULL DEFAULT '0' COMMENT 'food_total_price + homestay_total_price',
  `food_total_price` bigint NOT NULL DEFAULT '0',
  `homestay_total_price` bigint NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_sn` (`sn`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='homestay orders';

-- The nights each homestay is sold for, one row a night (from that date to
-- the next). The unique key is what keeps two orders from booking the same
-- night, however many arrive at once: the nights go in with their order in
-- one transaction, and the loser of a race gets a duplicate key and books
-- nothing. A cancelled or refunded order gives its nights back.
CREATE TABLE `homestay_night` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `homestay_id` bigint NOT NULL DEFAULT '0',
  `night` date NOT NULL COMMENT 'the night from this date to the next',
  `order_sn` char(25) NOT NULL DEFAULT '' COMMENT 'the order that booked it',
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_homestay_night` (`homestay_id`, `night`),
  KEY `idx_order_sn` (`order_sn`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='nights sold, one row a night';
