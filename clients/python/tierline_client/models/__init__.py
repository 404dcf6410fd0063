"""Contains all the data models used in inputs/outputs"""

from .age_comparison import AgeComparison
from .age_comparison_op import AgeComparisonOp
from .all_condition import AllCondition
from .any_condition import AnyCondition
from .api_key import ApiKey
from .api_key_create import ApiKeyCreate
from .api_key_created import ApiKeyCreated
from .attempt import Attempt
from .batch_in import BatchIn
from .batch_in_events_item import BatchInEventsItem
from .batch_in_mode import BatchInMode
from .batch_item_result import BatchItemResult
from .batch_item_result_status import BatchItemResultStatus
from .batch_result import BatchResult
from .between_comparison import BetweenComparison
from .bg_nbd_params import BgNbdParams
from .clv_model import ClvModel
from .contains_comparison import ContainsComparison
from .count_in import CountIn
from .count_out import CountOut
from .customer import Customer
from .customer_deleted import CustomerDeleted
from .customer_deleted_data import CustomerDeletedData
from .customer_segment import CustomerSegment
from .customer_tiers import CustomerTiers
from .customer_traits import CustomerTraits
from .cut_point import CutPoint
from .cut_points import CutPoints
from .delivery import Delivery
from .delivery_status import DeliveryStatus
from .distribution import Distribution
from .endpoint import Endpoint
from .endpoint_event_types_type_0_item import EndpointEventTypesType0Item
from .endpoint_filter import EndpointFilter
from .endpoint_filter_direction import EndpointFilterDirection
from .endpoint_in import EndpointIn
from .endpoint_in_event_types_type_0_item import EndpointInEventTypesType0Item
from .endpoint_patch import EndpointPatch
from .endpoint_patch_event_types_type_0_item import EndpointPatchEventTypesType0Item
from .endpoint_with_secret import EndpointWithSecret
from .endpoint_with_secret_event_types_type_0_item import EndpointWithSecretEventTypesType0Item
from .equality_comparison import EqualityComparison
from .equality_comparison_op import EqualityComparisonOp
from .erasure import Erasure
from .erasure_erased import ErasureErased
from .event_created import EventCreated
from .event_created_status import EventCreatedStatus
from .event_in import EventIn
from .event_in_properties import EventInProperties
from .event_in_traits_type_0 import EventInTraitsType0
from .exists_comparison import ExistsComparison
from .explained_all import ExplainedAll
from .explained_any import ExplainedAny
from .explained_comparison import ExplainedComparison
from .explained_not import ExplainedNot
from .explained_tier import ExplainedTier
from .export_in import ExportIn
from .export_in_format import ExportInFormat
from .export_segment_format import ExportSegmentFormat
from .field_error import FieldError
from .fit_in import FitIn
from .fit_queued import FitQueued
from .gamma_gamma_params import GammaGammaParams
from .gap import Gap
from .gap_all import GapAll
from .gap_any import GapAny
from .gap_direction_type_0 import GapDirectionType0
from .health import Health
from .job import Job
from .job_params import JobParams
from .job_progress import JobProgress
from .job_status import JobStatus
from .keep_tier import KeepTier
from .list_endpoint_messages_status_type_0 import ListEndpointMessagesStatusType0
from .list_endpoint_messages_type_type_0 import ListEndpointMessagesTypeType0
from .list_messages_status_type_0 import ListMessagesStatusType0
from .list_messages_type_type_0 import ListMessagesTypeType0
from .margin import Margin
from .margin_all import MarginAll
from .margin_any import MarginAny
from .membership_comparison import MembershipComparison
from .membership_comparison_op import MembershipComparisonOp
from .message import Message
from .message_payload import MessagePayload
from .metric_definition import MetricDefinition
from .metric_definition_aggregation import MetricDefinitionAggregation
from .metric_definition_in import MetricDefinitionIn
from .metric_definition_in_aggregation import MetricDefinitionInAggregation
from .metric_definition_status import MetricDefinitionStatus
from .metrics import Metrics
from .next_tier import NextTier
from .not_condition import NotCondition
from .order_comparison import OrderComparison
from .order_comparison_op import OrderComparisonOp
from .override_in import OverrideIn
from .page_api_key import PageApiKey
from .page_attempt import PageAttempt
from .page_customer_segment import PageCustomerSegment
from .page_endpoint import PageEndpoint
from .page_message import PageMessage
from .page_metric_definition import PageMetricDefinition
from .page_scheme import PageScheme
from .page_search_item import PageSearchItem
from .page_segment import PageSegment
from .page_segment_change import PageSegmentChange
from .page_segment_member import PageSegmentMember
from .page_stored_event import PageStoredEvent
from .page_template_out import PageTemplateOut
from .page_tier_history_item import PageTierHistoryItem
from .page_workspace import PageWorkspace
from .pending_downgrade import PendingDowngrade
from .performance import Performance
from .ping import Ping
from .ping_data import PingData
from .ping_sent import PingSent
from .preview_cell import PreviewCell
from .problem import Problem
from .rates_in import RatesIn
from .rates_in_rates import RatesInRates
from .rates_out import RatesOut
from .rates_out_rates import RatesOutRates
from .readiness import Readiness
from .requeued import Requeued
from .rfm_refresh_out import RfmRefreshOut
from .rfm_refresh_result import RfmRefreshResult
from .scheme import Scheme
from .scheme_in import SchemeIn
from .scheme_preview import SchemePreview
from .scheme_version import SchemeVersion
from .scope import Scope
from .search_in import SearchIn
from .search_item import SearchItem
from .segment import Segment
from .segment_change import SegmentChange
from .segment_change_cause import SegmentChangeCause
from .segment_change_change import SegmentChangeChange
from .segment_change_reason import SegmentChangeReason
from .segment_changed_data import SegmentChangedData
from .segment_condition import SegmentCondition
from .segment_entered import SegmentEntered
from .segment_exited import SegmentExited
from .segment_flows import SegmentFlows
from .segment_flows_interval import SegmentFlowsInterval
from .segment_in import SegmentIn
from .segment_member import SegmentMember
from .segment_period import SegmentPeriod
from .sort_key import SortKey
from .sort_key_direction import SortKeyDirection
from .stored_event import StoredEvent
from .stored_event_properties import StoredEventProperties
from .template_in import TemplateIn
from .template_in_thresholds import TemplateInThresholds
from .template_out import TemplateOut
from .template_out_scheme import TemplateOutScheme
from .template_out_segments import TemplateOutSegments
from .template_out_segments_additional_property import TemplateOutSegmentsAdditionalProperty
from .template_out_thresholds import TemplateOutThresholds
from .template_threshold import TemplateThreshold
from .template_threshold_kind import TemplateThresholdKind
from .tier_assignment import TierAssignment
from .tier_change import TierChange
from .tier_change_reason import TierChangeReason
from .tier_changed import TierChanged
from .tier_changed_data import TierChangedData
from .tier_changed_data_direction_type_0 import TierChangedDataDirectionType0
from .tier_changed_data_metrics import TierChangedDataMetrics
from .tier_changed_data_reason import TierChangedDataReason
from .tier_count import TierCount
from .tier_explanation import TierExplanation
from .tier_flow import TierFlow
from .tier_history_item import TierHistoryItem
from .tier_history_item_cause import TierHistoryItemCause
from .tier_history_item_reason import TierHistoryItemReason
from .tier_in import TierIn
from .tier_out import TierOut
from .tier_out_condition import TierOutCondition
from .tier_override import TierOverride
from .tier_performance import TierPerformance
from .tier_transitions import TierTransitions
from .tiers_as_of import TiersAsOf
from .tiers_as_of_tiers import TiersAsOfTiers
from .tracking import Tracking
from .tracking_week import TrackingWeek
from .traits_patch import TraitsPatch
from .traits_patch_traits import TraitsPatchTraits
from .traits_replace import TraitsReplace
from .traits_replace_traits import TraitsReplaceTraits
from .transition import Transition
from .workspace import Workspace
from .workspace_create import WorkspaceCreate
from .workspace_created import WorkspaceCreated
from .workspace_update import WorkspaceUpdate

__all__ = (
    "AgeComparison",
    "AgeComparisonOp",
    "AllCondition",
    "AnyCondition",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "Attempt",
    "BatchIn",
    "BatchInEventsItem",
    "BatchInMode",
    "BatchItemResult",
    "BatchItemResultStatus",
    "BatchResult",
    "BetweenComparison",
    "BgNbdParams",
    "ClvModel",
    "ContainsComparison",
    "CountIn",
    "CountOut",
    "Customer",
    "CustomerDeleted",
    "CustomerDeletedData",
    "CustomerSegment",
    "CustomerTiers",
    "CustomerTraits",
    "CutPoint",
    "CutPoints",
    "Delivery",
    "DeliveryStatus",
    "Distribution",
    "Endpoint",
    "EndpointEventTypesType0Item",
    "EndpointFilter",
    "EndpointFilterDirection",
    "EndpointIn",
    "EndpointInEventTypesType0Item",
    "EndpointPatch",
    "EndpointPatchEventTypesType0Item",
    "EndpointWithSecret",
    "EndpointWithSecretEventTypesType0Item",
    "EqualityComparison",
    "EqualityComparisonOp",
    "Erasure",
    "ErasureErased",
    "EventCreated",
    "EventCreatedStatus",
    "EventIn",
    "EventInProperties",
    "EventInTraitsType0",
    "ExistsComparison",
    "ExplainedAll",
    "ExplainedAny",
    "ExplainedComparison",
    "ExplainedNot",
    "ExplainedTier",
    "ExportIn",
    "ExportInFormat",
    "ExportSegmentFormat",
    "FieldError",
    "FitIn",
    "FitQueued",
    "GammaGammaParams",
    "Gap",
    "GapAll",
    "GapAny",
    "GapDirectionType0",
    "Health",
    "Job",
    "JobParams",
    "JobProgress",
    "JobStatus",
    "KeepTier",
    "ListEndpointMessagesStatusType0",
    "ListEndpointMessagesTypeType0",
    "ListMessagesStatusType0",
    "ListMessagesTypeType0",
    "Margin",
    "MarginAll",
    "MarginAny",
    "MembershipComparison",
    "MembershipComparisonOp",
    "Message",
    "MessagePayload",
    "MetricDefinition",
    "MetricDefinitionAggregation",
    "MetricDefinitionIn",
    "MetricDefinitionInAggregation",
    "MetricDefinitionStatus",
    "Metrics",
    "NextTier",
    "NotCondition",
    "OrderComparison",
    "OrderComparisonOp",
    "OverrideIn",
    "PageApiKey",
    "PageAttempt",
    "PageCustomerSegment",
    "PageEndpoint",
    "PageMessage",
    "PageMetricDefinition",
    "PageScheme",
    "PageSearchItem",
    "PageSegment",
    "PageSegmentChange",
    "PageSegmentMember",
    "PageStoredEvent",
    "PageTemplateOut",
    "PageTierHistoryItem",
    "PageWorkspace",
    "PendingDowngrade",
    "Performance",
    "Ping",
    "PingData",
    "PingSent",
    "PreviewCell",
    "Problem",
    "RatesIn",
    "RatesInRates",
    "RatesOut",
    "RatesOutRates",
    "Readiness",
    "Requeued",
    "RfmRefreshOut",
    "RfmRefreshResult",
    "Scheme",
    "SchemeIn",
    "SchemePreview",
    "SchemeVersion",
    "Scope",
    "SearchIn",
    "SearchItem",
    "Segment",
    "SegmentChange",
    "SegmentChangeCause",
    "SegmentChangeChange",
    "SegmentChangedData",
    "SegmentChangeReason",
    "SegmentCondition",
    "SegmentEntered",
    "SegmentExited",
    "SegmentFlows",
    "SegmentFlowsInterval",
    "SegmentIn",
    "SegmentMember",
    "SegmentPeriod",
    "SortKey",
    "SortKeyDirection",
    "StoredEvent",
    "StoredEventProperties",
    "TemplateIn",
    "TemplateInThresholds",
    "TemplateOut",
    "TemplateOutScheme",
    "TemplateOutSegments",
    "TemplateOutSegmentsAdditionalProperty",
    "TemplateOutThresholds",
    "TemplateThreshold",
    "TemplateThresholdKind",
    "TierAssignment",
    "TierChange",
    "TierChanged",
    "TierChangedData",
    "TierChangedDataDirectionType0",
    "TierChangedDataMetrics",
    "TierChangedDataReason",
    "TierChangeReason",
    "TierCount",
    "TierExplanation",
    "TierFlow",
    "TierHistoryItem",
    "TierHistoryItemCause",
    "TierHistoryItemReason",
    "TierIn",
    "TierOut",
    "TierOutCondition",
    "TierOverride",
    "TierPerformance",
    "TiersAsOf",
    "TiersAsOfTiers",
    "TierTransitions",
    "Tracking",
    "TrackingWeek",
    "TraitsPatch",
    "TraitsPatchTraits",
    "TraitsReplace",
    "TraitsReplaceTraits",
    "Transition",
    "Workspace",
    "WorkspaceCreate",
    "WorkspaceCreated",
    "WorkspaceUpdate",
)
