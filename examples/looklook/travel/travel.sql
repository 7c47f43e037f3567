-- looklook_travel: homestays, the shops that run them, the front page's
-- picks and the reviews. Money is in cents.
-- tinyint(1) columns read as booleans; counts and states are plain tinyint
-- (the original's tinyint(1) for them would turn 4 guests into `true`).

CREATE TABLE `homestay` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  `title` varchar(32) NOT NULL DEFAULT '',
  `sub_title` varchar(128) NOT NULL DEFAULT '',
  `banner` varchar(4096) NOT NULL DEFAULT '' COMMENT 'comma-separated image URLs; the first is the cover',
  `info` varchar(4069) NOT NULL DEFAULT '',
  `people_num` tinyint NOT NULL DEFAULT '0' COMMENT 'how many guests it takes',
  `homestay_business_id` bigint NOT NULL DEFAULT '0' COMMENT 'the shop',
  `user_id` bigint NOT NULL DEFAULT '0' COMMENT 'the landlord',
  `row_state` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 off the shelf, 1 on sale',
  `row_type` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 priced per room, 1 per person',
  `food_info` varchar(2048) NOT NULL DEFAULT '' COMMENT 'what the meals are',
  `food_price` bigint NOT NULL DEFAULT '0' COMMENT 'meals, per person per day, in cents',
  `homestay_price` bigint NOT NULL DEFAULT '0' COMMENT 'per night, in cents',
  `market_homestay_price` bigint NOT NULL DEFAULT '0' COMMENT 'the usual price, in cents',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='homestays';

CREATE TABLE `homestay_activity` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `row_type` varchar(32) NOT NULL DEFAULT '' COMMENT 'preferredHomestay or goodBusiness',
  `data_id` bigint NOT NULL DEFAULT '0' COMMENT 'a homestay id for preferredHomestay, a landlord user id for goodBusiness',
  `row_status` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 off, 1 on',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  PRIMARY KEY (`id`),
  KEY `idx_rowType` (`row_type`, `row_status`, `del_state`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='the front page picks';

CREATE TABLE `homestay_business` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `title` varchar(32) NOT NULL DEFAULT '' COMMENT 'the shop name',
  `user_id` bigint NOT NULL DEFAULT '0' COMMENT 'the landlord who owns it',
  `info` varchar(128) NOT NULL DEFAULT '' COMMENT 'about the shop',
  `boss_info` varchar(128) NOT NULL DEFAULT '' COMMENT 'about the landlord',
  `license_fron` varchar(256) NOT NULL DEFAULT '' COMMENT 'business licence, front',
  `license_back` varchar(256) NOT NULL DEFAULT '' COMMENT 'business licence, back',
  `row_state` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 closed, 1 open',
  `star` double(2,1) NOT NULL DEFAULT '0.0' COMMENT 'overall rating',
  `tags` varchar(32) NOT NULL DEFAULT '',
  `cover` varchar(1024) NOT NULL DEFAULT '',
  `header_img` varchar(1024) NOT NULL DEFAULT '' COMMENT 'the shop front',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_userId` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='shops';

CREATE TABLE `homestay_comment` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `homestay_id` bigint NOT NULL DEFAULT '0',
  `user_id` bigint NOT NULL DEFAULT '0',
  `content` varchar(64) NOT NULL DEFAULT '',
  `star` json NOT NULL COMMENT 'stars by aspect, such as {"overall": 4.5, "clean": 5}',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock version',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='reviews';
