-- Homestays to browse on a fresh system: three shops, their landlords
-- (users 1-3 of usercenter/seed.sql), six homestays (one off the shelf),
-- the front page's picks, and reviews. Prices are in cents.
INSERT INTO `homestay_business` (`id`, `title`, `user_id`, `info`, `boss_info`, `row_state`, `star`, `tags`, `cover`, `header_img`, `delete_time`) VALUES
  (1, 'Erhai Lakeside', 1, 'Rooms over the lake, bikes included', 'Hosting in Dali since 2015', 1, 4.8, 'lake view', 'https://img.looklook.dev/shop/erhai.jpg', 'https://img.looklook.dev/shop/erhai-front.jpg', '1970-01-01 08:00:00'),
  (2, 'Fisherman''s Rest', 2, 'A harbour house with a kitchen', 'Fisherman, cook, storyteller', 1, 4.5, 'seafood', 'https://img.looklook.dev/shop/harbour.jpg', 'https://img.looklook.dev/shop/harbour-front.jpg', '1970-01-01 08:00:00'),
  (3, 'Tea Terrace', 3, 'Wake up in the tea fields', 'Tea farmer in the hills', 1, 4.9, 'mountains', 'https://img.looklook.dev/shop/tea.jpg', 'https://img.looklook.dev/shop/tea-front.jpg', '1970-01-01 08:00:00');

INSERT INTO `homestay` (`id`, `title`, `sub_title`, `banner`, `info`, `people_num`, `homestay_business_id`, `user_id`, `row_state`, `row_type`, `food_info`, `food_price`, `homestay_price`, `market_homestay_price`, `delete_time`) VALUES
  (1, 'Lake room', 'Sunrise over Erhai', 'https://img.looklook.dev/h/1a.jpg,https://img.looklook.dev/h/1b.jpg', 'A double room with a balcony on the water.', 2, 1, 1, 1, 0, 'Breakfast and dinner, Bai style', 6000, 38800, 45800, '1970-01-01 08:00:00'),
  (2, 'Family loft', 'Room for four', 'https://img.looklook.dev/h/2a.jpg', 'Two bedrooms under the roof, a garden below.', 4, 1, 1, 1, 0, 'Breakfast', 3000, 58800, 68800, '1970-01-01 08:00:00'),
  (3, 'Harbour bunk', 'Priced per guest', 'https://img.looklook.dev/h/3a.jpg', 'Bunks in the old net store; the catch for dinner.', 6, 2, 2, 1, 1, 'Seafood dinner', 8000, 12800, 15800, '1970-01-01 08:00:00'),
  (4, 'Captain''s cabin', 'The quiet one', 'https://img.looklook.dev/h/4a.jpg', 'A cabin at the end of the pier.', 2, 2, 2, 1, 0, 'Seafood dinner', 8000, 32800, 36800, '1970-01-01 08:00:00'),
  (5, 'Tea house', 'Among the terraces', 'https://img.looklook.dev/h/5a.jpg,https://img.looklook.dev/h/5b.jpg', 'A wooden house with a tea room.', 3, 3, 3, 1, 0, 'Farm breakfast, tea all day', 4000, 42800, 49800, '1970-01-01 08:00:00'),
  (6, 'Old barn', 'Closed for repairs', 'https://img.looklook.dev/h/6a.jpg', 'Back next season.', 2, 3, 3, 0, 0, '', 0, 19800, 22800, '1970-01-01 08:00:00');

INSERT INTO `homestay_activity` (`row_type`, `data_id`, `row_status`, `delete_time`) VALUES
  ('preferredHomestay', 1, 1, '1970-01-01 08:00:00'),
  ('preferredHomestay', 3, 1, '1970-01-01 08:00:00'),
  ('preferredHomestay', 5, 1, '1970-01-01 08:00:00'),
  ('goodBusiness', 1, 1, '1970-01-01 08:00:00'),
  ('goodBusiness', 3, 1, '1970-01-01 08:00:00');

INSERT INTO `homestay_comment` (`homestay_id`, `user_id`, `content`, `star`, `delete_time`) VALUES
  (1, 2, 'The sunrise alone is worth it.', '{"overall": 5, "clean": 5, "service": 4.5}', '1970-01-01 08:00:00'),
  (1, 3, 'Quiet, clean, lovely breakfast.', '{"overall": 4.5, "clean": 5, "service": 4.5}', '1970-01-01 08:00:00'),
  (3, 1, 'Best fish I have had in years.', '{"overall": 4.5, "clean": 4, "service": 5}', '1970-01-01 08:00:00'),
  (5, 1, 'Woke up to mist over the tea.', '{"overall": 5, "clean": 5, "service": 5}', '1970-01-01 08:00:00');
